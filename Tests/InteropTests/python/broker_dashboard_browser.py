"""`broker serve --dashboard` in a real browser (Debian's chromium, headless, selenium), with
clients nobody here wrote (confluent-kafka, i.e. librdkafka) using the broker.

A producer writes keyed records to a topic of 3 partitions; a consumer group of two members
reads it; one member is killed (SIGKILL: no LeaveGroup) and the other stays. Checks what a
person would see: every topic's partitions with their log end offsets, the group's card
with its members and partitions, lag falling to 0 as the survivor commits, the timeline's
join and session-timeout rebalances with the partitions moved to the survivor, a live tail
of a partition, no console errors; then that SIGTERM stops the broker with exit 0.

usage: broker_dashboard_browser.py BINARY DATA_DIR
"""
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback

from confluent_kafka import Producer
from selenium.webdriver.common.by import By

import headless

binary, data_dir = sys.argv[1:3]
output = []
here = os.path.dirname(os.path.abspath(__file__))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fail(message):
    print("FAILED: " + message, flush=True)
    print("--- broker output ---\n" + "".join(output)[-4000:], flush=True)
    for process in members + [broker]:
        process.kill()
    os._exit(1)


wait_for = headless.waiter(fail, 60)


kafka = free_port()
members = []
broker = subprocess.Popen(
    [binary, "broker", "serve", "--data-dir", data_dir, "--port", str(kafka), "--dashboard-port", "0",
     "--initial-rebalance-delay-ms", "0", "--default-partitions", "3"],
    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
)
threading.Thread(target=lambda: [output.append(line) for line in broker.stdout], daemon=True).start()
url = wait_for("the dashboard's URL", lambda: next(iter(re.findall(r"dashboard on (http://127\.0\.0\.1:\d+/)", "".join(output))), None))

producer = Producer({"bootstrap.servers": f"127.0.0.1:{kafka}", "acks": "all"})
for n in range(3000):
    producer.produce("rides", key=f"driver-{n % 50}".encode(), value=f'{{"n": {n}}}'.encode())
producer.flush(30)


def member(name):
    return subprocess.Popen(
        [sys.executable, os.path.join(here, "group_member.py"), f"127.0.0.1:{kafka}", "riders", "rides", name],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


browser = headless.chromium(1500, 2200)
try:
    browser.get(url)
    wait_for("3 partitions with 3000 records", lambda: sum(
        int(row.find_elements(By.CSS_SELECTOR, "td")[4].text.replace(",", "")) for row in browser.find_elements(By.CSS_SELECTOR, "#partitions tbody tr")
    ) == 3000 and len(browser.find_elements(By.CSS_SELECTOR, "#partitions tbody tr")) == 3)
    if browser.find_element(By.ID, "phase").text.lower() != "broker" or browser.find_element(By.ID, "city").is_displayed():
        fail("the page does not show a broker (no city map, no run)")

    members.append(member("steady"))
    wait_for("the group's card", lambda: browser.find_elements(By.CSS_SELECTOR, 'section.group[data-group="riders"] tr.consumer'))
    members.append(member("doomed"))
    wait_for("two members, each owning partitions", lambda: len(browser.find_elements(
        By.CSS_SELECTOR, 'section.group[data-group="riders"] tr.consumer.active')) == 2, 60)
    wait_for("a join in the timeline", lambda: browser.find_elements(By.CSS_SELECTOR, '#timeline li[data-group="riders"][data-cause*="joined"]'))
    members[1].send_signal(signal.SIGKILL)
    # The timeline is rebuilt with every snapshot: read the entry's texts in one go.
    story, moves = wait_for("a session-timeout rebalance", lambda: browser.execute_script("""
        const entry = document.querySelector('#timeline li[data-group="riders"][data-cause*="session timeout"]');
        const moves = entry && entry.querySelector('.moves');
        return entry ? [entry.querySelector('.story').textContent, moves ? moves.textContent : ''] : null;
    """), 60)
    if "doomed stopped heartbeating" not in story or "→ steady" not in moves:
        fail(f"the session timeout's rebalance does not say what moved: {story!r} / {moves!r}")
    wait_for("one member left, owning every partition", lambda: len(browser.find_elements(
        By.CSS_SELECTOR, 'section.group[data-group="riders"] tr.consumer td.cell.owned')) == 3)
    wait_for("lag 0 once the survivor committed everything", lambda: "now: 0 records" in browser.find_element(
        By.CSS_SELECTOR, 'section.group[data-group="riders"] .legend .now').text)
    wait_for("the live tail with the records' values", lambda: browser.execute_script(
        "const cells = document.querySelectorAll('#tail tbody tr td.value');"
        " return cells.length >= 5 && cells[0].textContent.includes('\"n\":');"))
    headless.no_console_errors(browser, fail)
except Exception:
    fail(traceback.format_exc())
finally:
    browser.quit()

for process in members:  # what they did is checked; how they go is not this test's
    process.kill()
    process.wait()
headless.stop(broker, signal.SIGTERM, "broker serve --dashboard", fail)
print(f"broker dashboard passed: 3 partitions, 3000 records, session timeout story {story!r}")
