"""`ridestream dashboard` on a finished run's data directory, in Debian's headless chromium:
the run as it ended (its partitions, the three groups with a crashed fare consumer and an
idle analytics one, the drivers on the map, lag over time, the session-timeout rebalance,
the log's tail), no control buttons, no console errors; the directory is held meanwhile
(other commands are refused), and Ctrl-C ends it with exit 0, leaving the files as they were.

usage: stored_dashboard_browser.py BINARY DATA_DIR   (a run of dashboard_browser.py)
"""
import hashlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
import traceback

from selenium.webdriver.common.by import By

import headless

binary, data_dir = sys.argv[1:3]
output = []


def digest():
    """Every file's hash but the lock's (which records whoever holds the directory)."""
    files = {}
    for root, _, names in os.walk(data_dir):
        for name in names:
            if root == data_dir and name == ".lock":
                continue
            path = os.path.join(root, name)
            with open(path, "rb") as f:
                files[os.path.relpath(path, data_dir)] = hashlib.sha256(f.read()).hexdigest()
    return files


def fail(message):
    print("FAILED: " + message)
    print("--- dashboard output ---\n" + "".join(output)[-4000:])
    served.kill()
    sys.exit(1)


wait_for = headless.waiter(fail, 30)


before = digest()
served = subprocess.Popen([binary, "dashboard", "--data-dir", data_dir, "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
threading.Thread(target=lambda: [output.append(line) for line in served.stdout], daemon=True).start()
url = wait_for("the dashboard's URL", lambda: next(iter(re.findall(r"on (http://127\.0\.0\.1:\d+/) \(read only\)", "".join(output))), None))

held = subprocess.run([binary, "topics", "--data-dir", data_dir], capture_output=True, text=True)
if held.returncode != 1 or "is in use by `ridestream dashboard" not in held.stderr + held.stdout:
    fail("the directory is not held while the dashboard shows it: " + held.stdout + held.stderr)

browser = headless.chromium(1500, 2900)
try:
    browser.get(url)
    wait_for("the finished run", lambda: browser.find_element(By.ID, "phase").text.lower() == "finished")
    if len(browser.find_elements(By.CSS_SELECTOR, "#partitions tbody tr")) != 6:
        fail("not 6 partitions")
    groups = sorted(e.get_attribute("data-group") for e in browser.find_elements(By.CSS_SELECTOR, "section.group"))
    if groups != ["analytics", "fare", "support"]:
        fail(f"groups {groups}")
    if not browser.find_elements(By.CSS_SELECTOR, 'section.group[data-group="fare"] tr.consumer.crashed .badge.crashed'):
        fail("the crashed fare consumer is not marked")
    if not browser.find_elements(By.CSS_SELECTOR, 'section.group[data-group="analytics"] tr.consumer.idle'):
        fail("no idle analytics consumer")
    if int(browser.find_element(By.ID, "map").get_attribute("data-drivers") or 0) != 300:
        fail("the map does not show the 300 drivers")
    points = int(browser.find_element(By.CSS_SELECTOR, 'section.group[data-group="fare"] svg.lag-chart').get_attribute("data-points") or 0)
    if points < 10:
        fail(f"the lag chart has {points} points")
    if not browser.find_elements(By.CSS_SELECTOR, '#timeline li[data-group="fare"][data-cause*="session timeout"] .moves'):
        fail("no session-timeout rebalance with its moves")
    if browser.find_elements(By.CSS_SELECTOR, "button.remove, button.crash"):
        fail("a read-only dashboard shows control buttons")
    wait_for("the log's tail", lambda: len(browser.find_elements(By.CSS_SELECTOR, "#tail tbody tr td.value")) >= 5)
    lag = browser.find_element(By.CSS_SELECTOR, 'section.group[data-group="fare"] .legend .now').text
    if "now: 0 events" not in lag:
        fail("the finished run shows lag: " + lag)
    headless.no_console_errors(browser, fail)
except Exception:  # a page element replaced under the test, a browser failure: report, never hang
    fail(traceback.format_exc())
finally:
    browser.quit()

headless.stop(served, signal.SIGINT, "ridestream dashboard", fail)
after = digest()
if after != before:
    changed = sorted(name for name in set(before) | set(after) if before.get(name) != after.get(name))
    fail("the data directory changed while the dashboard showed it: " + ", ".join(changed))
print(f"stored dashboard passed: 6 partitions, groups {', '.join(groups)}, {points} lag points, files unchanged")
