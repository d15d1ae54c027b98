"""A live run's topic through kafka-python's admin client, during `simulate --serve`.

Usage: protected_topic.py BOOTSTRAP TOPIC
Tries what could end the run: deleting the topic and giving it more partitions. Checks, each
with a message naming what broke:
- both are refused with POLICY_VIOLATION (error 44);
- the topic still has its partitions afterwards, and records keep arriving in it.
Prints "delete and create_partitions refused; N partitions, log end moved from A to B".
"""
import sys
import time

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.admin import NewPartitions
from kafka.errors import PolicyViolationError

BOOTSTRAP, TOPIC = sys.argv[1], sys.argv[2]


def check(condition, message):
    if not condition:
        raise SystemExit(f"FAILED: {message}")


admin = KafkaAdminClient(bootstrap_servers=BOOTSTRAP, client_id="protected-topic")
consumer = KafkaConsumer(bootstrap_servers=BOOTSTRAP)
partitions = sorted(consumer.partitions_for_topic(TOPIC) or [])
check(partitions, f"no partitions for {TOPIC}")
ids = [TopicPartition(TOPIC, p) for p in partitions]
before = sum(consumer.end_offsets(ids).values())


def refused(action, name):
    try:
        response = action()
    except PolicyViolationError:
        return
    # Some kafka-python versions return the response instead of raising: read its codes.
    if isinstance(response, dict):
        codes = [topic["error_code"] for topic in response.get("topics", [])]
    else:
        codes = [entry[1] for entry in getattr(response, "topic_error_codes", getattr(response, "topic_errors", []))]
    check(codes and all(code == 44 for code in codes), f"{name} was not refused with POLICY_VIOLATION: {response}")


refused(lambda: admin.delete_topics([TOPIC]), "delete_topics")
refused(lambda: admin.create_partitions({TOPIC: NewPartitions(total_count=len(partitions) + 3)}), "create_partitions")
after_partitions = sorted(consumer.partitions_for_topic(TOPIC) or [])
check(after_partitions == partitions, f"partitions changed: {partitions} -> {after_partitions}")
after = before
deadline = time.monotonic() + 20
while after <= before and time.monotonic() < deadline:
    time.sleep(0.2)
    after = sum(consumer.end_offsets(ids).values())
check(after > before, f"the run stopped producing: log end stayed at {before}")
print(f"delete and create_partitions refused; {len(partitions)} partitions, log end moved from {before} to {after}")
