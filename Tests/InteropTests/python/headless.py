"""Debian's chromium, headless, driven by selenium through chromium-driver, with the console
log kept (the tests fail on any SEVERE entry)."""
import subprocess
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service


def chromium(width, height):
    options = webdriver.ChromeOptions()
    for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", f"--window-size={width},{height}"]:
        options.add_argument(argument)
    options.binary_location = "/usr/bin/chromium"
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def console_errors(browser):
    return [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]


def waiter(fail, default_timeout):
    """wait_for(what, condition, timeout): the condition's first truthy value, retried every
    0.2 s (the page re-renders elements as snapshots arrive, so a failing read is retried
    too); `fail` with what was waited for once the time is up."""
    def wait_for(what, condition, timeout=default_timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                value = condition()
                if value:
                    return value
            except Exception:
                pass
            time.sleep(0.2)
        fail("timed out waiting for " + what)
    return wait_for


def stop(process, number, name, fail):
    """Sends signal `number` to `process` and fails unless it exits 0 within 30 s."""
    process.send_signal(number)
    try:
        status = process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        fail(f"{name} did not stop on signal {number}")
    if status != 0:
        fail(f"{name} exited {status} on signal {number}")


def no_console_errors(browser, fail):
    errors = console_errors(browser)
    if errors:
        fail("browser console errors: " + repr(errors))
