"""librdkafka's cooperative-sticky assignor (incremental rebalancing, KIP-429) against a running
`ridestream broker serve`.

Usage: cooperative_sticky.py BOOTSTRAP
Three consumers with partition.assignment.strategy=cooperative-sticky read 600 records from a
6-partition topic, committing each record once it is counted; once the group holds all six
partitions and some records are read, one consumer leaves. The other two must keep every
partition they had (their revoke callbacks never name one) and take over the leaver's; every
record is counted once (a record counted by two consumers fails; one a consumer is handed
again below its own commit is skipped, as an application committing after processing would).
Prints "600 records, each read once; the survivors kept their partitions".
"""
import sys
import threading
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

BOOTSTRAP = sys.argv[1]
TOPIC, GROUP, RECORDS = "coop-rides", "coop-group", 600


def check(condition, message):
    if not condition:
        raise SystemExit(f"FAILED: {message}")


admin = AdminClient({"bootstrap.servers": BOOTSTRAP})  # kept: a collected client cancels its futures
admin.create_topics([NewTopic(TOPIC, 6, 1)])[TOPIC].result(timeout=10)
producer = Producer({"bootstrap.servers": BOOTSTRAP})
for index in range(RECORDS):
    producer.produce(TOPIC, key=b"key-%d" % index, value=b"ride-%d" % index, partition=index % 6)
check(producer.flush(30) == 0, "the producer did not deliver everything")

lock = threading.Lock()
counted = {}


class Member:
    def __init__(self, name):
        self.name = name
        self.owned, self.revoked, self.committed = set(), [], {}
        self.stop = threading.Event()
        self.failure = None
        self.consumer = Consumer({
            "bootstrap.servers": BOOTSTRAP, "group.id": GROUP, "client.id": name,
            "partition.assignment.strategy": "cooperative-sticky", "enable.auto.commit": False,
            "auto.offset.reset": "earliest", "session.timeout.ms": 10000, "heartbeat.interval.ms": 300,
        })
        self.consumer.subscribe([TOPIC], on_assign=self.on_assign, on_revoke=self.on_revoke)
        self.thread = threading.Thread(target=self.run)
        self.thread.start()

    def on_assign(self, consumer, partitions):
        with lock:
            self.owned |= {p.partition for p in partitions}

    def on_revoke(self, consumer, partitions):
        with lock:
            self.revoked.append(sorted(p.partition for p in partitions))
            self.owned -= {p.partition for p in partitions}

    def run(self):
        try:
            while not self.stop.is_set():
                message = self.consumer.poll(0.2)
                if message is None or message.error():
                    continue
                if message.offset() < self.committed.get(message.partition(), -1):
                    continue
                try:
                    self.consumer.commit(message=message, asynchronous=False)
                except KafkaException:
                    # Not committed (a rebalance): read it again. A partition that stays ours
                    # keeps its position, so it is sought back; one that left is read again by
                    # its next owner from the committed offset.
                    try:
                        self.consumer.seek(TopicPartition(TOPIC, message.partition(), message.offset()))
                    except KafkaException:
                        pass
                    continue
                self.committed[message.partition()] = message.offset() + 1
                with lock:
                    if message.key() in counted:
                        self.failure = f"{message.key()!r} read by {counted[message.key()]} and {self.name}"
                        return
                    counted[message.key()] = self.name
                time.sleep(0.01)  # a paced reader, so that the rebalance happens mid-stream
        finally:
            self.consumer.close()


members = [Member(f"coop-{index}") for index in range(3)]
deadline = time.time() + 60
while time.time() < deadline:
    with lock:
        owned = [set(m.owned) for m in members]
        read = len(counted)
    if all(owned) and sorted(p for o in owned for p in o) == list(range(6)) and read >= 60:
        break
    time.sleep(0.05)
check(all(owned) and sorted(p for o in owned for p in o) == list(range(6)), f"the three never shared the six partitions: {owned}")
time.sleep(1)  # the group settled
with lock:
    before = {m.name: set(m.owned) for m in members[:2]}
    revokes_before = {m.name: len(m.revoked) for m in members[:2]}
leaver = members[2]
leaver.stop.set()
leaver.thread.join()

while time.time() < deadline + 60:
    with lock:
        if len(counted) == RECORDS:
            break
    time.sleep(0.05)
with lock:
    # Before the survivors stop: closing revokes everything a consumer holds.
    revoked_since = {m.name: [p for p in m.revoked[revokes_before[m.name]:] if p] for m in members[:2]}
for member in members[:2]:
    member.stop.set()
    member.thread.join()
failures = [m.failure for m in members if m.failure]
check(not failures, "; ".join(failures))
check(len(counted) == RECORDS, f"{len(counted)} of {RECORDS} records read")
for member in members[:2]:
    later = revoked_since[member.name]
    check(not later, f"{member.name} had {later} revoked when {leaver.name} left (it held {sorted(before[member.name])})")
print(f"{RECORDS} records, each read once; the survivors kept their partitions")
