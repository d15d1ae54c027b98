"""confluent-kafka (librdkafka) against a running `ridestream broker serve`.

Usage: confluent_suite.py BOOTSTRAP
Checks, each with a message naming what broke:
- a producer with acks=all delivers every record;
- a group of 3 consumers over 6 partitions gets a complete, disjoint assignment; when one
  leaves, the other two take over its partitions;
- consumers started later resume from the committed offsets: over the whole run every record
  is read exactly once;
- OffsetCommit metadata comes back from OffsetFetch; ListOffsets by timestamp.
"""
import sys
import threading
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

BOOTSTRAP = sys.argv[1]
TOPIC = "cf-rides"
GROUP = "cf-group"
PARTITIONS = 6


def check(condition, message):
    if not condition:
        raise SystemExit(f"FAILED: {message}")


def wait_for(condition, what, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise SystemExit(f"FAILED: timed out waiting for {what}")


admin = AdminClient({"bootstrap.servers": BOOTSTRAP})
for future in admin.create_topics([NewTopic(TOPIC, PARTITIONS, 1)]).values():
    future.result()


def produce(first, count):
    errors = []
    producer = Producer({"bootstrap.servers": BOOTSTRAP, "acks": "all", "linger.ms": 5})
    for i in range(first, first + count):
        producer.produce(
            TOPIC, key=f"driver-{i % 97}", value=f"ride-{i}", timestamp=1_700_000_000_000 + i,
            on_delivery=lambda error, message: errors.append(error) if error else None,
        )
        producer.poll(0)
    check(producer.flush(30) == 0, "producer could not deliver everything within 30 s")
    check(not errors, f"delivery errors: {errors[:3]}")


class Member(threading.Thread):
    """One group member: reads, records what it read, commits before each next poll."""

    def __init__(self, name, log):
        super().__init__(name=name)
        self.log = log
        self.stopping = threading.Event()
        self.assignment = []
        self.consumer = Consumer({
            "bootstrap.servers": BOOTSTRAP, "group.id": GROUP, "client.id": name,
            "auto.offset.reset": "earliest", "enable.auto.commit": False,
            "session.timeout.ms": 6000, "heartbeat.interval.ms": 500,
        })
        self.consumer.subscribe([TOPIC])

    def run(self):
        while not self.stopping.is_set():
            messages = self.consumer.consume(num_messages=200, timeout=0.2)
            for message in messages:
                check(message.error() is None, f"{self.name}: {message.error()}")
                self.log.append((message.partition(), message.offset(), message.value().decode()))
            if messages:
                self.consumer.commit(asynchronous=False)
            self.assignment = sorted(tp.partition for tp in self.consumer.assignment())
        self.consumer.close()  # leaves the group


def assignments(members):
    return [member.assignment for member in members]


def complete_and_disjoint(members):
    owned = sum(assignments(members), [])
    return sorted(owned) == list(range(PARTITIONS)) and all(assignments(members))


log = []
produce(0, 6000)
first = [Member(f"cf-consumer-{n}", log) for n in range(3)]
for member in first:
    member.start()
wait_for(lambda: complete_and_disjoint(first) and len(log) > 0, "a complete assignment over 3 consumers")
check(sorted(len(a) for a in assignments(first)) == [2, 2, 2], f"6 partitions over 3 consumers: {assignments(first)}")

leaving = first[2]
leaving.stopping.set()
leaving.join()
staying = first[:2]
wait_for(lambda: complete_and_disjoint(staying) and sorted(len(a) for a in assignments(staying)) == [3, 3],
         f"the two remaining consumers to take over (now {assignments(staying)})")
wait_for(lambda: len(log) >= 6000, "the first 6000 records")
for member in staying:
    member.stopping.set()
    member.join()

produce(6000, 3000)
later = [Member(f"cf-late-{n}", log) for n in range(2)]
for member in later:
    member.start()
wait_for(lambda: len(log) >= 9000, "the 3000 records produced while the group was away")
time.sleep(1)  # anything read twice would show up now
for member in later:
    member.stopping.set()
    member.join()

values = [entry[2] for entry in log]
check(len(values) == len(set(values)), f"{len(values) - len(set(values))} records were read twice")
check(set(values) == {f"ride-{i}" for i in range(9000)}, f"read {len(set(values))} distinct records, expected 9000")
per_partition = {}
for partition, offset, _ in log:
    per_partition.setdefault(partition, []).append(offset)
for partition, offsets in per_partition.items():
    check(sorted(offsets) == list(range(len(offsets))), f"partition {partition}: offsets not contiguous from 0")

# Commit metadata and timestamps, with a consumer that is not in a group's rebalance.
probe = Consumer({"bootstrap.servers": BOOTSTRAP, "group.id": "cf-metadata", "enable.auto.commit": False})
probe.commit(offsets=[TopicPartition(TOPIC, 0, 5, metadata="checkpoint 0/5")], asynchronous=False)
committed = probe.committed([TopicPartition(TOPIC, 0), TopicPartition(TOPIC, 1)], timeout=10)
check(committed[0].offset == 5 and committed[0].metadata == "checkpoint 0/5", f"commit metadata lost: {committed[0]} {committed[0].metadata!r}")
check(committed[1].offset < 0, f"partition 1 has no commit, got {committed[1]}")
times = probe.offsets_for_times([TopicPartition(TOPIC, p, 1_700_000_000_000 + 4500) for p in range(PARTITIONS)], timeout=10)
for tp in times:
    check(tp.error is None and tp.offset >= 0, f"offsets_for_times: {tp}")
    probe.assign([TopicPartition(TOPIC, tp.partition, tp.offset)])
    message = probe.consume(num_messages=1, timeout=5)[0]
    check(message.timestamp()[1] >= 1_700_000_000_000 + 4500, f"partition {tp.partition}: offset {tp.offset} has timestamp {message.timestamp()}")
beyond = probe.offsets_for_times([TopicPartition(TOPIC, 0, 1_800_000_000_000)], timeout=10)
check(beyond[0].offset == -1, f"a timestamp after every record gives offset -1, got {beyond[0].offset}")
probe.close()
print("confluent-kafka suite passed: 9000 records, each read once")
