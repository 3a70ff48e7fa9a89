"""Opens the hub's admin pages in headless Chromium (Debian's chromium and chromium-driver) and
signs in with a token.

Usage: admin_page.py HUB_URL TOKEN
Prints one JSON line: the error shown (if any) and the rows of each table, as text.
"""
import json
import sys

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait


def main(url, token):
    opts = Options()
    opts.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        opts.add_argument(a)
    d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    try:
        d.get(f"{url}/admin")
        d.find_element(By.ID, "token").send_keys(token)
        d.find_element(By.ID, "sign-in-button").click()
        WebDriverWait(d, 60, poll_frequency=0.05).until(lambda _: d.find_element(By.ID, "error").text or d.find_element(By.ID, "views").is_displayed())
        table = lambda css: [[c.text for c in r.find_elements(By.CSS_SELECTOR, "td")] for r in d.find_elements(By.CSS_SELECTOR, f"{css} tbody tr")]
        print(json.dumps({
            "error": d.find_element(By.ID, "error").text,
            "who": d.find_element(By.ID, "who").text,
            "tasks": table("#campaigns"),
            "experts": table("#experts"),
            "stations": table("#stations"),
            "recordings": table("#recordings"),
            "console": [e["message"] for e in d.get_log("browser")] if hasattr(d, "get_log") else [],
        }))
    finally:
        d.quit()


if __name__ == "__main__":
    main(*sys.argv[1:])
