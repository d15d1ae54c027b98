"""`ridestream report --html` in a real browser (Debian's chromium, headless, through selenium):
the file opens offline, every chart is drawn (each `svg.chart` drew marks and shows them), and
the console has no errors.

usage: report_browser.py REPORT.html EXPECTED_CHARTS
"""
import pathlib
import sys

from selenium.webdriver.common.by import By

import headless

path, expected = pathlib.Path(sys.argv[1]).resolve(), int(sys.argv[2])
browser = headless.chromium(1400, 1200)
try:
    browser.get(path.as_uri())
    charts = browser.find_elements(By.CSS_SELECTOR, "svg.chart")
    if len(charts) != expected:
        sys.exit(f"FAILED: {len(charts)} charts, expected {expected}")
    for chart in charts:
        title = chart.get_attribute("aria-label")
        marks = int(chart.get_attribute("data-marks") or 0)
        drawn = len(chart.find_elements(By.CSS_SELECTOR, "polyline, rect:not(.plot)"))
        size = chart.size
        if marks == 0 or drawn == 0 or size["width"] < 100 or size["height"] < 50:
            sys.exit(f"FAILED: chart {title!r} is empty ({marks} marks, {drawn} shapes, {size})")
    if "session timeout" not in browser.find_element(By.CSS_SELECTOR, "ol.timeline").text:
        sys.exit("FAILED: the timeline shows no session-timeout rebalance")
    errors = headless.console_errors(browser)
    if errors:
        sys.exit("FAILED: browser console errors: " + repr(errors))
finally:
    browser.quit()
print(f"report passed: {expected} charts drawn")
