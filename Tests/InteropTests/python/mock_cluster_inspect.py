"""A three-broker Kafka cluster for `ridestream topics|groups --bootstrap`: librdkafka's mock
cluster (confluent-kafka's `test.mock.num.brokers`), whose partition leaders and group
coordinator are spread over its brokers.

Usage: mock_cluster_inspect.py
Produces 100 records to each partition of a topic "trips-N" whose leaders are on more than one
broker, then a group "billing" commits offset 40 + partition on each; prints one JSON line:
{"bootstrap": "HOST:PORT,...", "topic": "trips-N", "partitions": N, "leaders": {...},
"committed": {"0": 40, ...}}, then keeps the cluster up until SIGTERM.
"""
import json
import signal

from confluent_kafka import Consumer, Producer, TopicPartition

producer = Producer({"test.mock.num.brokers": 3, "linger.ms": 5})
# The mock places each auto-created topic's leaders itself: take the first topic whose
# partitions are led by more than one broker, so that requests must be routed.
for attempt in range(20):
    topic = f"trips-{attempt}"
    metadata = producer.list_topics(topic, timeout=10)  # auto-creates the topic in the mock
    partitions = sorted(metadata.topics[topic].partitions)
    leaders = {str(p): metadata.topics[topic].partitions[p].leader for p in partitions}
    if len(set(leaders.values())) > 1:
        break
brokers = metadata.brokers
bootstrap = ",".join(f"{b.host}:{b.port}" for b in sorted(brokers.values(), key=lambda b: b.id))
for partition in partitions:
    for index in range(100):
        producer.produce(topic, value=b"trip-%d" % index, partition=partition)
if producer.flush(30) != 0:
    raise SystemExit("FAILED: the mock cluster did not take every record")

consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "billing", "enable.auto.commit": False})
committed = {partition: 40 + partition for partition in partitions}
offsets = consumer.commit(offsets=[TopicPartition(topic, p, o) for p, o in committed.items()], asynchronous=False)
if any(tp.error for tp in offsets):
    raise SystemExit(f"FAILED: commit {offsets}")
consumer.close()
print(json.dumps({"bootstrap": bootstrap, "topic": topic, "partitions": len(partitions), "leaders": leaders,
                  "committed": {str(p): o for p, o in committed.items()}}), flush=True)
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
signal.sigwait({signal.SIGTERM})
