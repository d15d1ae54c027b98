"""`/metrics` of `ridestream broker serve --metrics-port`, read with Prometheus' own parser.

Usage: prometheus_metrics.py BOOTSTRAP METRICS_URL
A confluent-kafka producer writes 300 keyed records over 3 partitions; a group reads part of
them and commits. The scrape, parsed by prometheus_client, must say what the Kafka clients
say: each partition's high and low watermarks, the group's committed offsets, its lag (high
watermark minus committed) and its members. Prints "metrics agree" on success.
"""
import sys
import time
import urllib.request

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from prometheus_client.parser import text_string_to_metric_families

BOOTSTRAP, METRICS = sys.argv[1], sys.argv[2]
TOPIC, GROUP, PARTITIONS = "metrics-rides", "metrics-group", 3


def check(condition, message):
    if not condition:
        raise SystemExit(f"FAILED: {message}")


def scrape():
    with urllib.request.urlopen(METRICS, timeout=10) as response:
        check(response.status == 200, f"/metrics answered {response.status}")
        kind = response.headers.get("Content-Type", "")
        check(kind.startswith("text/plain; version=0.0.4"), f"/metrics content type {kind!r}")
        text = response.read().decode("utf-8")
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name, **labels):
    key = (name, tuple(sorted(labels.items())))
    check(key in samples, f"no sample {name}{labels} in /metrics")
    return samples[key]


admin = AdminClient({"bootstrap.servers": BOOTSTRAP})
for future in admin.create_topics([NewTopic(TOPIC, PARTITIONS, 1)]).values():
    future.result(30)
producer = Producer({"bootstrap.servers": BOOTSTRAP, "acks": "all"})
for index in range(300):
    producer.produce(TOPIC, key=f"driver-{index % 17}", value=f"event {index}", partition=index % PARTITIONS)
check(producer.flush(30) == 0, "records left undelivered")

consumer = Consumer({
    "bootstrap.servers": BOOTSTRAP, "group.id": GROUP, "auto.offset.reset": "earliest",
    "enable.auto.commit": False, "session.timeout.ms": 30000,
})
consumer.subscribe([TOPIC])
read = 0
deadline = time.time() + 60
while read < 120 and time.time() < deadline:
    message = consumer.poll(0.5)
    if message is None or message.error():
        continue
    read += 1
check(read >= 120, f"read only {read} records")
consumer.commit(asynchronous=False)
committed = {tp.partition: tp.offset for tp in consumer.committed([TopicPartition(TOPIC, p) for p in range(PARTITIONS)], timeout=10)}
watermarks = {p: consumer.get_watermark_offsets(TopicPartition(TOPIC, p), timeout=10) for p in range(PARTITIONS)}

samples = scrape()
check(value(samples, "kafka_topic_partitions", topic=TOPIC) == PARTITIONS, "kafka_topic_partitions")
for partition in range(PARTITIONS):
    low, high = watermarks[partition]
    labels = {"topic": TOPIC, "partition": str(partition)}
    check(value(samples, "kafka_topic_partition_current_offset", **labels) == high, f"current offset of {partition}: client says {high}")
    check(value(samples, "kafka_topic_partition_oldest_offset", **labels) == low, f"oldest offset of {partition}: client says {low}")
    if committed[partition] >= 0:
        group_labels = {"consumergroup": GROUP, **labels}
        check(value(samples, "kafka_consumergroup_current_offset", **group_labels) == committed[partition],
              f"committed offset of {partition}: client says {committed[partition]}")
        check(value(samples, "kafka_consumergroup_lag", **group_labels) == high - committed[partition], f"lag of {partition}")
check(value(samples, "kafka_consumergroup_members", consumergroup=GROUP) == 1, "one member while the consumer is in the group")
check(sum(1 for p in range(PARTITIONS) if committed[p] >= 0) >= 1, "nothing committed")

consumer.close()
# Once the consumer left, the group has no members; its offsets stay.
deadline = time.time() + 20
while value(scrape(), "kafka_consumergroup_members", consumergroup=GROUP) != 0 and time.time() < deadline:
    time.sleep(0.2)
check(value(scrape(), "kafka_consumergroup_members", consumergroup=GROUP) == 0, "members after the consumer closed")
print("metrics agree")
