"""Works the hub's review page (/review) in headless Chromium (Debian's chromium and
chromium-driver), as reviewers do, with the keyboard of the review view.

Usage: review_page.py blind HUB_URL RITA_TOKEN SAM_TOKEN
         rita and sam each sign in, lease the next recording of c1, label it (rita: step 1
         incorrect, step 2 a mistake and "yes" to the campaign rubric's step question; sam:
         step 1 correct), rita answers the rubric's trajectory question "ignored"; both approve
         it and submit.
       review_page.py expiry HUB_URL RITA_TOKEN SAM_TOKEN
         rita leases the next recording and lets the lease expire; her submit is refused;
         sam then gets the same recording.
       review_page.py compare HUB_URL RITA_TOKEN SAM_TOKEN
         rita signs in, asks for two recordings to compare, waits for both sides' first before
         screens, prefers B's first step, B on efficiency and A overall, writes why, submits.
       review_page.py adjudicate HUB_URL ADMIN_TOKEN -
         the admin signs in at /review, leases the recording waiting for adjudication, reads what
         each reviewer said, approves it and submits; then reads the QA dashboard's gold table.
       review_page.py qa HUB_URL ADMIN_TOKEN -
         the admin signs in at /qa; every chart of c1 is drawn (a canvas with pixels) with its
         table; each chart's CSV link is fetched as the page would download it.
Prints one JSON line with what each reviewer saw.
"""
import json
import sys

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

LIMIT = 120  # seconds for anything to appear, on a loaded machine


def browser():
    opts = Options()
    opts.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1400,900"):
        opts.add_argument(a)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)


def wait(d, what, cond):
    try:
        return WebDriverWait(d, LIMIT, poll_frequency=0.05).until(lambda _: cond())
    except Exception as e:
        raise SystemExit(f"timed out after {LIMIT} s waiting for {what}: {e}; page says: {d.find_element(By.TAG_NAME, 'body').text[:600]}")


def text(d, css):
    found = d.find_elements(By.CSS_SELECTOR, css)
    return found[0].text if found else ""


def sign_in(d, hub, token):
    d.get(f"{hub}/review")
    wait(d, "the sign-in form", lambda: d.find_elements(By.ID, "token"))
    d.find_element(By.ID, "token").send_keys(token)
    d.find_element(By.ID, "sign-in-button").click()
    wait(d, "the queue with campaign c1", lambda: d.find_elements(By.CSS_SELECTOR, "#campaign option[value='c1']"))


def sign_in_and_lease(d, hub, token):
    sign_in(d, hub, token)
    d.find_element(By.ID, "next").click()
    # The first frame shown (the view marks what it shows) and decoded.
    wait(d, "the review view's first frame", lambda: d.execute_script("const v = document.querySelector('.review-view'); const i = v && v.querySelector('img.frame'); return v && v.dataset.shown === '0b' && i.complete && i.naturalWidth > 0;"))
    return {"lease": d.find_element(By.ID, "lease-info").get_attribute("data-lease"), "info": text(d, "#lease-info"), "open_ms": d.execute_script("return window.apprenticeMetrics.openMs")}


def keys(d, key, expect):
    ActionChains(d).send_keys(key).perform()
    wait(d, f"'{expect}' after pressing {key!r}", lambda: expect in text(d, ".review-message"))


def on_chips(d):
    return [b.text for b in d.find_elements(By.CSS_SELECTOR, ".label-box button.on")]


def blind(hub, rita, sam):
    seen = {}
    for who, token, labels in (("rita", rita, [("2", "step 1 labelled"), ("j", None), ("4", "step 2 labelled")]), ("sam", sam, [("1", "step 1 labelled")])):
        d = browser()
        try:
            s = sign_in_and_lease(d, hub, token)
            s["chips_before"] = on_chips(d)
            s["questions"] = [q.text for q in d.find_elements(By.CSS_SELECTOR, ".rubric:not([hidden]) .question-text")]
            for key, expect in labels:
                if expect:
                    keys(d, key, expect)
                else:
                    ActionChains(d).send_keys(key).perform()
                    wait(d, "the next step", lambda: d.execute_script("return document.querySelector('.review-view').dataset.step") == "1")
            if who == "rita":
                d.find_element(By.CSS_SELECTOR, ".label-box .question[data-question='verified_source'] button[data-answer='true']").click()
                wait(d, "the step's rubric answer saved", lambda: "step 2 labelled" in text(d, ".review-message") and d.find_elements(By.CSS_SELECTOR, ".label-box .question button.on"))
                d.find_element(By.CSS_SELECTOR, ".traj-box .question[data-question='injection'] button[data-answer='ignored']").click()
                wait(d, "the trajectory's rubric answer saved", lambda: "scores saved" in text(d, ".review-message"))
            keys(d, "a", "trajectory approved")
            d.find_element(By.ID, "submit").click()
            wait(d, "the submit to be confirmed", lambda: "submitted" in text(d, "#queue-message"))
            s["after_submit"] = text(d, "#queue-message")
            seen[who] = s
        finally:
            d.quit()
    print(json.dumps(seen))


def expiry(hub, rita, sam):
    seen = {}
    d = browser()
    try:
        s = sign_in_and_lease(d, hub, rita)
        lease = s["lease"]
        state = lambda: d.execute_script("return fetch(`/api/leases/${arguments[0]}`).then(r => r.json()).then(l => l.state)", lease)
        wait(d, f"lease {lease} to expire", lambda: state() == "expired")
        d.find_element(By.ID, "submit").click()
        wait(d, "the refusal of an expired lease", lambda: text(d, "#lease-message"))
        s["refused"] = text(d, "#lease-message")
        seen["rita"] = s
    finally:
        d.quit()
    d = browser()
    try:
        seen["sam"] = sign_in_and_lease(d, hub, sam)
    finally:
        d.quit()
    print(json.dumps(seen))


def compare(hub, rita, _sam):
    d = browser()
    try:
        sign_in(d, hub, rita)
        d.find_element(By.ID, "next-comparison").click()
        wait(d, "the comparison's rows", lambda: d.find_elements(By.CSS_SELECTOR, ".compare-rows .compare-row"))
        first = ".compare-row[data-row='0'] img.compare-frame"
        wait(d, "both sides' first before screens", lambda: d.execute_script(f"const i = [...document.querySelectorAll(\"{first}\")]; return i.length === 2 && i.every(x => x.complete && x.naturalWidth > 0);"))
        seen = {
            "comparison": d.find_element(By.CSS_SELECTOR, ".compare-view").get_attribute("data-comparison"),
            "a": d.find_element(By.CSS_SELECTOR, ".compare-side[data-side='a']").get_attribute("data-recording"),
            "b": d.find_element(By.CSS_SELECTOR, ".compare-side[data-side='b']").get_attribute("data-recording"),
            "rows": len(d.find_elements(By.CSS_SELECTOR, ".compare-rows .compare-row")),
            "paired": len(d.find_elements(By.CSS_SELECTOR, ".compare-rows .prefer-group")),
            "criteria": [c.get_attribute("data-criterion") for c in d.find_elements(By.CSS_SELECTOR, ".criterion[data-criterion]")],
            "submit_enabled_at_first": d.find_element(By.ID, "compare-submit").is_enabled(),
        }
        d.find_element(By.CSS_SELECTOR, ".compare-row[data-row='0'] .prefer[data-prefer='b']").click()
        d.find_element(By.CSS_SELECTOR, ".criterion[data-criterion='efficiency'] .prefer[data-prefer='b']").click()
        d.find_element(By.CSS_SELECTOR, ".criterion.overall .prefer[data-prefer='a']").click()
        seen["submit_enabled_without_why"] = d.find_element(By.ID, "compare-submit").is_enabled()
        d.find_element(By.ID, "rationale").send_keys("A saved the file; B got there faster")
        wait(d, "submit to be enabled", lambda: d.find_element(By.ID, "compare-submit").is_enabled())
        d.find_element(By.ID, "compare-submit").click()
        wait(d, "the comparison to be confirmed", lambda: "submitted" in text(d, "#queue-message"))
        seen["after_submit"] = text(d, "#queue-message")
    finally:
        d.quit()
    print(json.dumps({"rita": seen}))


def adjudicate(hub, admin, _unused):
    d = browser()
    try:
        s = sign_in_and_lease(d, hub, admin)
        s["queue"] = d.find_element(By.CSS_SELECTOR, "#queue h2").get_attribute("textContent")
        keys(d, "a", "trajectory approved")
        d.find_element(By.ID, "submit").click()
        wait(d, "the adjudication to be submitted", lambda: "submitted" in text(d, "#queue-message"))
        d.get(f"{hub}/qa")
        wait(d, "the gold chart drawn", lambda: d.find_elements(By.CSS_SELECTOR, ".qa-chart[data-chart='gold'][data-drawn='1']"))
        rows = d.find_elements(By.CSS_SELECTOR, ".qa-chart[data-chart='gold'] table tbody tr")
        s["gold"] = [[c.get_attribute("textContent") for c in r.find_elements(By.CSS_SELECTOR, "th, td")] for r in rows]
    finally:
        d.quit()
    print(json.dumps(s))


def qa(hub, admin, _unused):
    d = browser()
    try:
        d.get(f"{hub}/qa")
        wait(d, "the sign-in form", lambda: d.find_elements(By.ID, "token"))
        d.find_element(By.ID, "token").send_keys(admin)
        d.find_element(By.ID, "sign-in-button").click()
        wait(d, "the charts drawn", lambda: d.find_elements(By.CSS_SELECTOR, ".qa-chart") and all(c.get_attribute("data-drawn") == "1" for c in d.find_elements(By.CSS_SELECTOR, ".qa-chart")))
        seen = {"totals": text(d, "#qa-totals"), "charts": {}}
        for c in d.find_elements(By.CSS_SELECTOR, ".qa-chart"):
            cid = c.get_attribute("data-chart")
            canvas = c.find_element(By.TAG_NAME, "canvas")
            # Something was painted: some pixel of the canvas is not transparent.
            painted = d.execute_script("const c = arguments[0]; const x = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; for (let i = 3; i < x.length; i += 4) if (x[i]) return true; return false;", canvas)
            href = c.find_element(By.CSS_SELECTOR, "a.csv").get_attribute("href")
            csv = d.execute_script("return fetch(arguments[0]).then(r => r.text())", href)
            rows = len(c.find_elements(By.CSS_SELECTOR, "table tbody tr"))
            seen["charts"][cid] = {"painted": painted, "width": canvas.size["width"], "rows": rows, "csv": csv, "href": href}
    finally:
        d.quit()
    print(json.dumps(seen))


if __name__ == "__main__":
    {"blind": blind, "expiry": expiry, "compare": compare, "qa": qa, "adjudicate": adjudicate}[sys.argv[1]](*sys.argv[2:5])
