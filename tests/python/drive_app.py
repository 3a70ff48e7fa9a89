"""Drives the real Apprentice desktop app through tauri-driver (WebKitWebDriver) with Selenium.

Usage:
  drive_app.py review DRIVER_URL APP LIBRARY RECORDING STEPS_JSON [SCREENSHOT_DIR]
      Opens the recording from the library list, steps through it with the keyboard, labels
      steps, scores and approves the trajectory, goes back, reopens it and checks that what was
      saved is shown; then starts and stops a recording from the recorder panel.
      Prints one JSON line: what was done and the timings the view measured.
  drive_app.py think-aloud DRIVER_URL APP LIBRARY RECORDING CORRECTION [SCREENSHOT_DIR]
      Opens a transcribed recording, checks the first step shows its spoken reasoning with a
      play button that loads the step's audio (a WAV of the utterance's length from audio://),
      corrects the transcript in place, and checks the correction and its audit-log entry show.
  drive_app.py outcome DRIVER_URL APP LIBRARY [SCREENSHOT_DIR]
      Types a task, starts with the Ctrl+Alt+R hotkey, clicks at (960, 240) in the window titled
      "Outcome Target" and stops with the hotkey again; checks the panel
      asks the outcome, and (through the app's own CLI) that the recording's outcome is unknown
      and an AgentNet export says so; checks the library says "outcome needed"; then answers
      "failure" with a comment in the panel. Prints one JSON line with what was seen before.
  drive_app.py hub-task DRIVER_URL APP LIBRARY [SCREENSHOT_DIR]
      On a station that joined a hub: picks the first assigned task in the panel, checks it
      fills the task and its id, starts, clicks once in the window titled "Hub Target", stops,
      answers success, and waits for the panel to say the recording was sent. Prints one JSON
      line with the task seen and the uploads line.
  drive_app.py privacy DRIVER_URL APP LIBRARY [SCREENSHOT_DIR]
      Starts with the hotkey, clicks in the window titled "Outcome Target" and types an email
      there, stops with the hotkey; checks the outcome prompt shows the privacy check's finding
      (masked) and that its step button opens that step in the review view. Prints one JSON line.
  drive_app.py bench DRIVER_URL APP LIBRARY RECORDING STEPS
      Opens the recording and steps through every step with `j`, waiting for each frame to show.
      Prints the view's timings as JSON.
Exits non-zero (with the reason) on any check that fails.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import time

from selenium import webdriver
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.options import ArgOptions
from selenium.webdriver.support.ui import WebDriverWait


def fail(why):
    raise SystemExit(f"FAILED: {why}")


def session(url, app, library):
    opts = ArgOptions()
    opts.set_capability("browserName", "wry")
    opts.set_capability("tauri:options", {"application": app, "args": ["--library", library, "gui"]})
    return webdriver.Remote(command_executor=url, options=opts)


# Waits end after 60 s, times $APPRENTICE_TEST_TIME_SCALE on slow machines (as the Rust harness).
WAIT_LIMIT = 60 * float(os.environ.get("APPRENTICE_TEST_TIME_SCALE", "1") or "1")


def wait(d, what, cond, timeout=None):
    timeout = timeout or WAIT_LIMIT
    try:
        # The view re-renders its lists after every change; an element read mid-render is stale
        # and is simply read again on the next poll.
        return WebDriverWait(d, timeout, poll_frequency=0.05, ignored_exceptions=(StaleElementReferenceException,)).until(lambda _: cond())
    except Exception as e:  # noqa: BLE001 - report what we waited for
        fail(f"timed out waiting for {what}: {e}")


def shown(d):
    return d.find_element(By.ID, "review").get_attribute("data-shown")


def in_review(d, css):
    """An element of the review view (mounted in the app's #review; the view itself has no ids)."""
    return d.find_element(By.CSS_SELECTOR, f"#review {css}")


def press(d, key):
    ActionChains(d).send_keys(key).perform()


def open_review(d, recording):
    item = wait(d, "the recording in the library", lambda: d.find_elements(By.CSS_SELECTOR, f'#recordings li[data-id="{recording}"]'))[0]
    item.find_element(By.CSS_SELECTOR, "button.open").click()
    wait(d, "the first frame", lambda: shown(d) == "0b")


def step_tags(d, i):
    """The tags of step i's row, each whole ("correct" is not "incorrect")."""
    return [t.text for t in d.find_elements(By.CSS_SELECTOR, f'#review .steps li[data-step="{i}"] .tags .tag')]


def review(url, app, library, recording, steps_json, shots=None):
    steps = json.load(open(steps_json))
    d = session(url, app, library)
    try:
        open_review(d, recording)
        if shots:
            d.save_screenshot(f"{shots}/review.png")
        src = in_review(d, "img.frame").get_attribute("src")
        want = f"frame://localhost/{recording}/{steps[0]['before']['frame_seq']}"
        if src != want:
            fail(f"first frame is {src}, want {want}")
        # Keyboard navigation: j forward, space to the after frame, k back, End, Home.
        for i in range(1, len(steps)):
            press(d, "j")
            wait(d, f"step {i}", lambda: shown(d) == f"{i}b")
            src = in_review(d, "img.frame").get_attribute("src")
            if src != f"frame://localhost/{recording}/{steps[i]['before']['frame_seq']}":
                fail(f"step {i} shows {src}")
        press(d, " ")
        wait(d, "the after frame", lambda: shown(d) == f"{len(steps) - 1}a")
        if in_review(d, "img.frame").get_attribute("src") != f"frame://localhost/{recording}/{steps[-1]['after']['frame_seq']}":
            fail("space did not show the after frame")
        press(d, Keys.HOME)
        wait(d, "Home", lambda: shown(d) == "0b")
        # The action is drawn: a click circle for step 0.
        if not d.find_elements(By.CSS_SELECTOR, "#review .overlay circle.click"):
            fail("no click drawn on step 0")
        natural = d.execute_script("return document.querySelector('#review img.frame').naturalWidth")
        if natural < 100:
            fail(f"frame did not decode (naturalWidth {natural})")
        # Labels with number keys: step 0 correct, step 1 incorrect + mistake + unsafe.
        press(d, "1")
        wait(d, "step 0 labelled", lambda: "correct" in step_tags(d, 0))
        press(d, "j")
        wait(d, "step 1", lambda: shown(d) == "1b")
        for k, tag in (("2", "incorrect"), ("4", "mistake"), ("6", "unsafe")):
            press(d, k)
            wait(d, f"step 1 {tag}", lambda: tag in step_tags(d, 1))
        comment = in_review(d, ".step-comment")
        press(d, "c")
        comment.send_keys("clicked the wrong row", Keys.TAB)
        wait(d, "the comment saved", lambda: "labelled" in in_review(d, ".review-message").text)
        # Fix an action: step 2 was really a double click. (Esc leaves the text box Tab moved to.)
        press(d, Keys.ESCAPE)
        press(d, "j")
        wait(d, "step 2", lambda: shown(d) == "2b")
        press(d, "f")
        kind = in_review(d, ".fix-kind")
        d.execute_script("arguments[0].value = 'double_click'", kind)
        in_review(d, ".fix-save").click()
        wait(d, "the fix", lambda: "double click" in d.find_element(By.CSS_SELECTOR, '#review .steps li[data-step="2"] .kind').text)
        # Scores and the verdict.
        for name, value in (("goal_completion", "4"), ("safety", "2")):
            sel = in_review(d, f".score-{name}")
            d.execute_script("arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('change'))", sel, value)
            wait(d, f"{name} saved", lambda: "scores saved" in in_review(d, ".review-message").text or "approved" in in_review(d, ".review-message").text)
            d.execute_script("document.querySelector('#review .review-message').textContent = ''")
        d.find_element(By.CSS_SELECTOR, 'button[data-verdict="approved"]').click()
        wait(d, "the verdict", lambda: in_review(d, ".verdict").get_attribute("textContent") == "approved")
        if shots:
            d.save_screenshot(f"{shots}/review-labelled.png")
        # Back, and the library shows the verdict; reopen and the labels are still there.
        press(d, Keys.ESCAPE)
        wait(d, "the library", lambda: d.find_element(By.ID, "home").is_displayed())
        badge = d.find_element(By.CSS_SELECTOR, f'#recordings li[data-id="{recording}"] .verdict')
        wait(d, "the verdict in the library", lambda: badge.get_attribute("textContent") == "approved")
        if shots:
            d.save_screenshot(f"{shots}/library.png")
        open_review(d, recording)
        tags0, tags1 = step_tags(d, 0), step_tags(d, 1)
        if "correct" not in tags0 or not all(t in tags1 for t in ("incorrect", "mistake", "unsafe")):
            fail(f"labels not persisted: {tags0!r} {tags1!r}")
        if in_review(d, ".score-goal_completion").get_attribute("value") != "4":
            fail("score not persisted")
        metrics = d.execute_script("return window.apprenticeMetrics")
        press(d, Keys.ESCAPE)
        wait(d, "the library", lambda: d.find_element(By.ID, "home").is_displayed())
        # The recorder panel starts and stops a recording.
        d.find_element(By.ID, "task").send_keys("Panel task")
        d.find_element(By.ID, "start").click()
        wait(d, "recording to start", lambda: d.find_element(By.ID, "live").is_displayed())
        wait(d, "the elapsed time to run", lambda: d.find_element(By.ID, "elapsed").text not in ("", "00:00"))
        if shots:
            d.save_screenshot(f"{shots}/recording.png")
        d.find_element(By.ID, "stop").click()
        wait(d, "the recording to be saved", lambda: "Saved recording" in d.find_element(By.ID, "message").text)
        wait(d, "the saved recording in the library", lambda: "Panel task" in d.find_element(By.ID, "recordings").text)
        print(json.dumps({"ok": True, "metrics": metrics}))
    finally:
        d.quit()


def think_aloud(url, app, library, recording, correction, shots=None):
    d = session(url, app, library)
    try:
        open_review(d, recording)
        quote = wait(d, "spoken reasoning on step 0", lambda: d.find_elements(By.CSS_SELECTOR, "#review .step-info blockquote.spoken"))[0]
        heard = quote.get_attribute("textContent")
        if shots:
            d.save_screenshot(f"{shots}/review-spoken.png")
        # Play: the player loads the utterance's span from audio:// ...
        quote.find_element(By.CSS_SELECTOR, "button.play").click()
        src = wait(d, "the player to get a source", lambda: in_review(d, "audio.player").get_attribute("src"))
        if not src.startswith(f"audio://localhost/{recording}/"):
            fail(f"player source {src}")
        # ... and what it serves is a WAV of that span (16 kHz mono 16-bit: 32000 bytes a second).
        t0, t1 = (int(v) for v in src.rsplit("/", 1)[1].split("-"))
        got = d.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "fetch(arguments[0]).then(r => r.arrayBuffer().then(b => done([r.status, r.headers.get('content-type'), b.byteLength, new TextDecoder().decode(b.slice(0, 4))])))"
            ".catch(e => done(['error', String(e)]));",
            src,
        )
        want = 44 + (t1 - t0) * 16000 // 1_000_000 * 2
        if got[0] != 200 or got[1] != "audio/wav" or got[3] != "RIFF" or abs(got[2] - want) > 4:
            fail(f"audio:// served {got}, want a {want}-byte WAV")
        # Correct the transcript in place: Enter saves, as the reviewer.
        quote.find_element(By.CSS_SELECTOR, "button.fix-transcript").click()
        box = wait(d, "the transcript editor", lambda: d.find_elements(By.CSS_SELECTOR, "#review .step-info input.transcript-edit"))[0]
        box.clear()
        box.send_keys(correction)
        box.send_keys(Keys.ENTER)
        wait(d, "the corrected transcript", lambda: correction in in_review(d, ".step-info").get_attribute("textContent"))
        wait(d, "the audit log entry", lambda: "transcript at" in in_review(d, ".audit-log").get_attribute("textContent"))
        print(json.dumps({"ok": True, "heard": heard, "audio": got}))
    finally:
        d.quit()


def hotkey(chord):
    """A global hotkey, pressed as a person would: to the X server, not to the page."""
    subprocess.run(["xdotool", "key", chord], check=True)


def run_cli(app, library, *args):
    """The app's own command line, against the library the app has open."""
    done = subprocess.run([app, "--library", library, *args], capture_output=True, text=True)
    if done.returncode != 0:
        fail(f"apprentice {' '.join(args)}: {done.stderr}")
    return done.stdout


def click_once_in(d, app, library, title):
    """Focuses the window titled `title`, waits for the live recorder to see it focused (until
    then input counts as typed into the panel), clicks at (960, 240) and waits for the click to
    be recorded. Returns the live recording's id."""
    subprocess.run(["xdotool", "search", "--name", f"^{title}$", "windowactivate", "--sync"], check=True)
    live = json.loads(run_cli(app, library, "status", "--json"))["id"]
    focused = lambda: [json.loads(l) for l in run_cli(app, library, "events", live, "--stream", "window").splitlines()][-1:]
    wait(d, f"the recorder to see {title} focused", lambda: any(w.get("title") == title for w in focused()))
    subprocess.run(["xdotool", "mousemove", "--sync", "960", "240", "click", "1"], check=True)
    wait(d, "the click to be recorded", lambda: json.loads(run_cli(app, library, "status", "--json"))["health"]["input_events"] >= 2)
    return live


def outcome(url, app, library, shots=None):
    d = session(url, app, library)
    try:
        task = wait(d, "the task box", lambda: d.find_elements(By.ID, "task"))[0]
        task.send_keys("Hotkey task")
        if shots:
            d.save_screenshot(f"{shots}/recorder-panel-idle.png")
        hotkey("ctrl+alt+r")
        wait(d, "the hotkey to start a recording", lambda: d.find_element(By.ID, "live").is_displayed())

        # One click in the target app (the panel's own window is never recorded), so there is a step.
        live = click_once_in(d, app, library, "Outcome Target")
        if shots:
            # The panel's own window is never recorded: frames are stored once the target has focus.
            wait(d, "the panel to show stored frames", lambda: re.search(r"frames[1-9][0-9]* stored", d.find_element(By.ID, "health").get_attribute("textContent")))
            d.save_screenshot(f"{shots}/recorder-panel-recording.png")
        hotkey("ctrl+alt+r")
        prompt = d.find_element(By.CSS_SELECTOR, ".outcome-prompt")
        wait(d, "the panel to ask the outcome", lambda: prompt.is_displayed())
        recording = prompt.get_attribute("data-id")
        if shots:
            d.save_screenshot(f"{shots}/outcome-prompt.png")
        # Before the expert answers: unknown, in the library and in an export.
        info = json.loads(run_cli(app, library, "info", recording, "--json"))
        out = tempfile.mkdtemp()
        run_cli(app, library, "export", recording, "--format", "agentnet", "--out", out)
        with open(os.path.join(out, "agentnet.jsonl")) as f:
            record = json.loads(f.readline())
        codes = [s["value"]["code"] for s in record["traj"]]
        badge = wait(d, "the library to say the outcome is needed", lambda: d.find_elements(By.CSS_SELECTOR, f'#recordings li[data-id="{recording}"] .outcome-needed'))
        if not badge[0].is_displayed():
            fail("the outcome-needed badge is hidden")
        # The expert answers in the panel.
        prompt.find_element(By.CSS_SELECTOR, ".outcome-comment").send_keys("the form rejected the date")
        prompt.find_element(By.CSS_SELECTOR, 'button[data-outcome="failure"]').click()
        wait(d, "the prompt to close", lambda: not prompt.is_displayed())
        wait(d, "the library to drop the reminder", lambda: not d.find_elements(By.CSS_SELECTOR, f'#recordings li[data-id="{recording}"] .outcome-needed'))
        print(json.dumps({"recording": recording, "outcome_before": info["outcome"], "task_completed_before": record["task_completed"], "codes_before": codes}))
    finally:
        d.quit()


def privacy(url, app, library, shots=None):
    d = session(url, app, library)
    try:
        wait(d, "the task box", lambda: d.find_elements(By.ID, "task"))[0].send_keys("Privacy task")
        hotkey("ctrl+alt+r")
        wait(d, "the hotkey to start a recording", lambda: d.find_element(By.ID, "live").is_displayed())
        live = click_once_in(d, app, library, "Outcome Target")
        subprocess.run(["xdotool", "type", "--delay", "60", "ann.lee@example.com"], check=True)
        wait(d, "the typing to be recorded", lambda: json.loads(run_cli(app, library, "status", "--json"))["health"]["input_events"] >= 2 + 2 * len("ann.lee@example.com"))
        hotkey("ctrl+alt+r")
        prompt = d.find_element(By.CSS_SELECTOR, ".outcome-prompt")
        wait(d, "the panel to ask the outcome", lambda: prompt.is_displayed())
        check = wait(d, "the privacy check's findings", lambda: [e for e in d.find_elements(By.CSS_SELECTOR, ".outcome-prompt .privacy-check") if e.is_displayed()])[0]
        said = check.text
        if shots:
            d.save_screenshot(f"{shots}/privacy-check.png")
        button = check.find_element(By.CSS_SELECTOR, "button.privacy-step")
        step = int(button.get_attribute("data-step"))
        button.click()
        wait(d, "the review view at the flagged step", lambda: d.find_elements(By.CSS_SELECTOR, "#review.review-view") and d.find_element(By.ID, "review").get_attribute("data-step") == str(step - 1))
        print(json.dumps({"recording": live, "said": said, "step": step}))
    finally:
        d.quit()


def hub_task(url, app, library, shots=None):
    from selenium.webdriver.support.ui import Select

    d = session(url, app, library)
    try:
        picker = wait(d, "the assigned tasks", lambda: [e for e in d.find_elements(By.ID, "hub-task") if e.is_displayed()])[0]
        options = [o.text for o in picker.find_elements(By.TAG_NAME, "option")]
        Select(picker).select_by_index(1)
        task, task_id = d.find_element(By.ID, "task"), d.find_element(By.ID, "task-id")
        wait(d, "the task to be filled from the hub", lambda: task.get_attribute("value") != "")
        seen = {"options": options, "task": task.get_attribute("value"), "task_id": task_id.get_attribute("value")}
        if shots:
            d.save_screenshot(f"{shots}/recorder-panel-hub-task.png")
        d.find_element(By.ID, "start").click()
        wait(d, "the recording to start", lambda: d.find_element(By.ID, "live").is_displayed())
        live = click_once_in(d, app, library, "Hub Target")
        d.find_element(By.ID, "stop").click()
        prompt = d.find_element(By.CSS_SELECTOR, ".outcome-prompt")
        wait(d, "the panel to ask the outcome", lambda: prompt.is_displayed())
        # Sent in the background at stop; then again once the expert answers.
        entry = lambda: next((q for q in json.loads(run_cli(app, library, "sync", "status", "--json")) if q["recording_id"] == live), None)
        first = wait(d, "the recording to be sent at stop", lambda: (lambda q: q if q and q["state"] == "sent" else None)(entry()))
        prompt.find_element(By.CSS_SELECTOR, 'button[data-outcome="success"]').click()
        wait(d, "the recording to be sent again with the answer", lambda: (lambda q: q and q["state"] == "sent" and q["sent_at"] != first["sent_at"])(entry()))
        uploads = d.find_element(By.ID, "uploads")
        wait(d, "the panel to say the recording was sent", lambda: "1 sent" in uploads.get_attribute("textContent"))
        seen["uploads"] = uploads.get_attribute("textContent")
        seen["recording"] = live
        if shots:
            d.save_screenshot(f"{shots}/recorder-panel-uploaded.png")
        print(json.dumps(seen))
    finally:
        d.quit()


def bench(url, app, library, recording, n):
    d = session(url, app, library)
    try:
        open_review(d, recording)
        for i in range(1, int(n)):
            press(d, "j")
            wait(d, f"step {i}", lambda: shown(d) == f"{i}b")
        print(json.dumps(d.execute_script("return window.apprenticeMetrics")))
    finally:
        d.quit()


if __name__ == "__main__":
    mode, *args = sys.argv[1:]
    {"review": review, "think-aloud": think_aloud, "outcome": outcome, "hub-task": hub_task, "privacy": privacy, "bench": bench}[mode](*args)
