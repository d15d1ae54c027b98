"""kafka-python against a running `ridestream broker serve`.

Usage: kafka_python_suite.py BOOTSTRAP
Checks, each with a message naming what broke:
- the admin client: create topics (with a setting), create partitions, describe configs
  (topic and broker), list and describe groups, delete topics;
- the producer with its defaults (idempotent: InitProducerId, sequence numbers, acks=all);
- a two-member consumer group reading everything exactly once, committing;
- ListOffsets by timestamp (offsets_for_times).
Prints one JSON line: the partition kafka-python's murmur2 partitioner chose for each key, so
the Swift side can compare it with the broker's own partitioner.
"""
import json
import sys
import threading
import time

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType, NewPartitions, NewTopic

BOOTSTRAP = sys.argv[1]
TOPIC = "kp-rides"
RECORDS = 3000


def check(condition, message):
    if not condition:
        raise SystemExit(f"FAILED: {message}")


admin = KafkaAdminClient(bootstrap_servers=BOOTSTRAP, client_id="kp-admin")
admin.create_topics([NewTopic(TOPIC, num_partitions=3, replication_factor=1, topic_configs={"retention.ms": "86400000"})])
admin.create_topics([NewTopic("kp-scratch", num_partitions=1, replication_factor=1)])
check(TOPIC in admin.list_topics(), f"{TOPIC} not listed after create_topics")
try:
    admin.create_topics([NewTopic(TOPIC, num_partitions=3, replication_factor=1)])
    check(False, "creating an existing topic did not fail")
except Exception as error:  # TopicAlreadyExistsError
    check("TopicAlreadyExists" in type(error).__name__ or "already exists" in str(error), f"unexpected error {error!r}")
try:
    admin.create_topics([NewTopic("kp-bad", num_partitions=1, replication_factor=3)])
    check(False, "replication factor 3 on one broker did not fail")
except Exception as error:
    check("ReplicationFactor" in type(error).__name__, f"unexpected error {error!r}")

admin.create_partitions({TOPIC: NewPartitions(total_count=6)})
partitions = admin.describe_topics([TOPIC])[0]["partitions"]
check(len(partitions) == 6, f"create_partitions: {len(partitions)} partitions, expected 6")

configs = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, TOPIC)], config_filter="all")
topic_configs = json.dumps(configs, default=str)
check("retention.ms" in topic_configs and "86400000" in topic_configs, f"topic configs lack retention.ms=86400000: {topic_configs[:400]}")
check("segment.bytes" in topic_configs, "topic configs lack segment.bytes")
broker_configs = json.dumps(admin.describe_configs([ConfigResource(ConfigResourceType.BROKER, "1")], config_filter="all"), default=str)
check("num.partitions" in broker_configs and "message.max.bytes" in broker_configs, f"broker configs incomplete: {broker_configs[:400]}")

producer = KafkaProducer(bootstrap_servers=BOOTSTRAP, client_id="kp-producer")
check(producer.config["enable_idempotence"], "kafka-python's default producer is expected to be idempotent")
placements = {}
futures = []
for i in range(RECORDS):
    key = f"driver-{i % 500}".encode()
    futures.append((key, producer.send(TOPIC, key=key, value=f"event-{i}".encode(), timestamp_ms=1_700_000_000_000 + i)))
producer.flush()
for key, future in futures:
    metadata = future.get(timeout=30)
    placements[key.decode()] = metadata.partition
producer.close()

# One thread per consumer, as an application would run them; the group is described while
# both are still members.
lock = threading.Lock()
seen = []
stop = threading.Event()
assignments = {}


def consume(n):
    consumer = KafkaConsumer(
        TOPIC, bootstrap_servers=BOOTSTRAP, group_id="kp-group", client_id=f"kp-consumer-{n}",
        auto_offset_reset="earliest", enable_auto_commit=False, session_timeout_ms=6000, heartbeat_interval_ms=500,
    )
    while not stop.is_set():
        batch = consumer.poll(timeout_ms=200)
        with lock:
            for records in batch.values():
                seen.extend(record.value.decode() for record in records)
        if batch:
            consumer.commit()
        with lock:
            assignments[n] = sorted(p.partition for p in consumer.assignment())
    consumer.close()


threads = [threading.Thread(target=consume, args=(n,)) for n in range(2)]
for thread in threads:
    thread.start()
deadline = time.time() + 60
while time.time() < deadline:
    with lock:
        done = len(seen) >= RECORDS and sorted(sum(assignments.values(), [])) == list(range(6)) and all(assignments.values())
    if done:
        break
    time.sleep(0.2)
with lock:
    check(len(seen) == RECORDS, f"group read {len(seen)} records, expected {RECORDS}")
    check(len(set(seen)) == RECORDS, "group read duplicates")
    check(sorted(sum(assignments.values(), [])) == list(range(6)) and len(assignments) == 2,
          f"assignment not complete and disjoint over both members: {assignments}")

groups = [group[0] if isinstance(group, tuple) else group for group in admin.list_groups()]
check(any("kp-group" in str(group) for group in groups), f"list_groups lacks kp-group: {groups}")
description = json.dumps(admin.describe_groups(["kp-group"]), default=str)
check("Stable" in description and "kp-consumer-0" in description and "kp-consumer-1" in description,
      f"describe_groups: {description[:600]}")
stop.set()
for thread in threads:
    thread.join()

probe = KafkaConsumer(bootstrap_servers=BOOTSTRAP, client_id="kp-times")
times = probe.offsets_for_times({TopicPartition(TOPIC, p): 1_700_000_000_000 + 1500 for p in range(6)})
found = {tp.partition: result.offset for tp, result in times.items() if result is not None}
check(len(found) > 0, f"offsets_for_times found nothing: {times}")
for partition, offset in found.items():
    probe.assign([TopicPartition(TOPIC, partition)])
    probe.seek(TopicPartition(TOPIC, partition), offset)
    records = probe.poll(timeout_ms=2000).get(TopicPartition(TOPIC, partition), [])
    check(records and records[0].timestamp >= 1_700_000_000_000 + 1500,
          f"partition {partition}: offset {offset} for the timestamp holds {records[0].timestamp if records else None}")
    if offset > 0:
        probe.seek(TopicPartition(TOPIC, partition), offset - 1)
        before = probe.poll(timeout_ms=2000).get(TopicPartition(TOPIC, partition), [])
        check(before and before[0].timestamp < 1_700_000_000_000 + 1500, f"partition {partition}: the record before offset {offset} is not older")
probe.close()

admin.delete_topics(["kp-scratch"])
check("kp-scratch" not in admin.list_topics(), "kp-scratch still listed after delete_topics")
admin.close()
print(json.dumps({"placements": placements}))
