"""The live dashboard in a real browser (Debian's chromium, headless, driven by selenium).

Runs `ridestream simulate --dashboard` (15 simulated minutes at 10x speed) with more analytics
consumers than partitions and the default scenario (a fare consumer crashes at 300 s), and
checks what a person would see:
the partitions and the three groups, an idle consumer marked, the lag chart gaining
points, a session-timeout rebalance with the partitions it moved, a rebalance after pressing
"add consumer", the live tail, no console errors; then that the page stays up on the
finished run until Ctrl-C, and the run exits 0. Saves a screenshot.

usage: dashboard_browser.py BINARY DATA_DIR SCREENSHOT.png
"""
import re
import signal
import subprocess
import sys
import threading
import time
import traceback

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By

import headless

binary, data_dir, screenshot = sys.argv[1:4]
output = []


def fail(message):
    print("FAILED: " + message)
    print("--- run output ---\n" + "".join(output)[-4000:])
    run.kill()  # it would hold the data directory
    sys.exit(1)


wait_for = headless.waiter(fail, 90)


run = subprocess.Popen(
    [binary, "simulate", "--dashboard", "--dashboard-port", "0", "--speed", "10", "--data-dir", data_dir,
     "--drivers", "300", "--duration", "900", "--consumers", "analytics=8"],
    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
)
threading.Thread(target=lambda: [output.append(line) for line in run.stdout], daemon=True).start()
url = wait_for("the dashboard's URL", lambda: next(iter(re.findall(r"Dashboard on (http://127\.0\.0\.1:\d+/)", "".join(output))), None), 60)

browser = headless.chromium(1500, 2900)
try:
    browser.get(url)
    rows = wait_for("6 partitions", lambda: len(browser.find_elements(By.CSS_SELECTOR, "#partitions tbody tr")) == 6)
    groups = wait_for("three groups", lambda: sorted(e.get_attribute("data-group") for e in browser.find_elements(By.CSS_SELECTOR, "section.group")) == ["analytics", "fare", "support"])
    wait_for("an idle analytics consumer", lambda: browser.find_elements(By.CSS_SELECTOR, 'section.group[data-group="analytics"] tr.consumer.idle .badge.idle'))
    wait_for("drivers on the map", lambda: int(browser.find_element(By.ID, "map").get_attribute("data-drivers") or 0) == 300)

    def points():
        return int(browser.find_element(By.CSS_SELECTOR, 'section.group[data-group="fare"] svg.lag-chart').get_attribute("data-points") or 0)

    first = wait_for("the lag chart's first points", points)
    wait_for("the lag chart to gain points", lambda: points() > first + 3)

    # The timeline is rebuilt with every snapshot: read the entry's texts in one go.
    story, moves = wait_for("a session-timeout rebalance of fare", lambda: browser.execute_script("""
        const entry = document.querySelector('#timeline li[data-group="fare"][data-cause*="session timeout"]');
        const moves = entry && entry.querySelector('.moves');
        return entry ? [entry.querySelector('.story').textContent, moves ? moves.textContent : ''] : null;
    """), 120)
    if "fare-2" not in story or "→ fare-1" not in moves:
        fail(f"the crash's rebalance does not say what moved: {story!r} / {moves!r}")

    def support_generations():
        return len(browser.find_elements(By.CSS_SELECTOR, '#timeline li[data-group="support"]'))

    before = support_generations()
    # The card keeps its button between snapshots; it is rebuilt only when the group's
    # consumers change, which the scenario may do at this very moment: then find it again.
    for attempt in range(5):
        try:
            browser.find_element(By.CSS_SELECTOR, 'button.add[data-group="support"]').click()
            break
        except StaleElementReferenceException:
            time.sleep(0.2)
    wait_for("the add button's answer", lambda: "added support-" in browser.find_element(By.ID, "control-message").text)
    wait_for("a rebalance after pressing add consumer", lambda: support_generations() > before, 60)
    # The timeline is redrawn with each snapshot: an item found may be replaced before it is read.
    for attempt in range(10):
        try:
            joined = browser.find_elements(By.CSS_SELECTOR, '#timeline li[data-group="support"]')[0].get_attribute("data-cause")  # newest first
            break
        except StaleElementReferenceException:
            time.sleep(0.2)
    else:
        fail("the timeline kept changing under the reader")
    if "joined" not in joined:
        fail("the rebalance after pressing add consumer is not a join: " + joined)

    wait_for("the live tail", lambda: len(browser.find_elements(By.CSS_SELECTOR, "#tail tbody tr td.value")) >= 5)
    browser.save_screenshot(screenshot)

    wait_for("the end of the run", lambda: browser.find_element(By.ID, "phase").text.lower() == "finished", 180)
    wait_for("the page to stay up", lambda: "stays up" in "".join(output), 30)
    time.sleep(1)
    browser.refresh()
    wait_for("the finished run after a reload", lambda: browser.find_element(By.ID, "phase").text.lower() == "finished")
    wait_for("the finished run's tail (its log read-only)", lambda: len(browser.find_elements(By.CSS_SELECTOR, "#tail tbody tr td.value")) >= 5)
    lag = browser.find_element(By.CSS_SELECTOR, 'section.group[data-group="fare"] .legend .now').text
    if "now: 0 events" not in lag:
        fail("the finished run still shows lag: " + lag)
    headless.no_console_errors(browser, fail)
except Exception:  # a page element replaced under the test, a browser failure: report, never hang
    fail(traceback.format_exc())
finally:
    browser.quit()

headless.stop(run, signal.SIGINT, "simulate --dashboard", fail)
print(f"dashboard passed: 6 partitions, groups {groups and 'analytics, fare, support'}, crash story {story!r}")
