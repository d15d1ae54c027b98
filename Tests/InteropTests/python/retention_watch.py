"""Retention under a running `ridestream broker serve` (small segments, short retention).

Usage: retention_watch.py BOOTSTRAP RETENTION_MS CHECK_MS
A confluent-kafka producer writes to a one-partition topic for a few seconds while the
partition's watermarks (ListOffsets earliest and latest) are sampled. Checks, each with a
message naming what broke:
- the log start (the low watermark) moves past 0 while the producer writes, within the
  retention time plus two check intervals (and some slack) of the first write;
- it keeps moving, and never backwards;
- `kcat -C -o beginning` starts at the log start: its first offset lies between the low
  watermark read just before and just after it.
Prints "log start moved to N after S s; kcat -o beginning started at K".
"""
import subprocess
import sys
import time

from confluent_kafka import Consumer, Producer, TopicPartition

BOOTSTRAP, RETENTION_MS, CHECK_MS = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
TOPIC = "rolling"


def check(condition, message):
    if not condition:
        raise SystemExit(f"FAILED: {message}")


producer = Producer({"bootstrap.servers": BOOTSTRAP, "linger.ms": 5, "batch.size": 4096})
watcher = Consumer({"bootstrap.servers": BOOTSTRAP, "group.id": "retention-watch", "enable.auto.commit": False})
partition = TopicPartition(TOPIC, 0)


def low_watermark():
    return watcher.get_watermark_offsets(partition, timeout=5, cached=False)[0]


start = time.monotonic()
first_move = None
samples = []
sent = 0
kcat_first = None
while time.monotonic() - start < (RETENTION_MS + 6 * CHECK_MS) / 1000 + 3:
    for _ in range(200):
        producer.produce(TOPIC, value=b"%08d" % sent + b"." * 92, partition=0)
        sent += 1
    producer.poll(0)
    producer.flush(5)
    low = low_watermark()
    samples.append(low)
    if low > 0 and first_move is None:
        first_move = time.monotonic() - start
    if first_move is not None and kcat_first is None and time.monotonic() - start > first_move + 0.5:
        before = low_watermark()
        output = subprocess.run(
            # Retention may move the start between kcat's ListOffsets and its Fetch: the
            # out-of-range answer must send it to the new start, not (librdkafka's default) the end.
            ["kcat", "-b", BOOTSTRAP, "-C", "-t", TOPIC, "-p", "0", "-o", "beginning", "-c", "1", "-q", "-f", "%o\n",
             "-X", "topic.auto.offset.reset=earliest"],
            capture_output=True, text=True, timeout=30,
        ).stdout.strip()
        after = low_watermark()
        check(output.isdigit(), f"kcat -o beginning printed no offset: {output!r}")
        kcat_first = int(output)
        check(before <= kcat_first <= after, f"kcat started at {kcat_first}, the log start was {before} before and {after} after")
    time.sleep(0.02)

check(first_move is not None, f"the log start never moved from 0 while {sent} records were written (samples {samples[-5:]})")
limit = (RETENTION_MS + 2 * CHECK_MS) / 1000 + 2
check(first_move <= limit, f"the log start moved only after {first_move:.1f} s (retention {RETENTION_MS} ms, checks every {CHECK_MS} ms)")
check(all(a <= b for a, b in zip(samples, samples[1:])), f"the log start moved backwards: {samples}")
check(samples[-1] > samples[len(samples) // 2] > 0, f"the log start stopped moving: {samples}")
check(kcat_first is not None and kcat_first > 0, "kcat -o beginning was not checked")
watcher.close()
print(f"log start moved to {samples[-1]} after {first_move:.1f} s; kcat -o beginning started at {kcat_first}")
