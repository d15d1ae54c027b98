"""A member of a consumer group (confluent-kafka), committing as it reads, until SIGTERM
(then it leaves the group) or SIGKILL (then its session expires).

usage: group_member.py BOOTSTRAP GROUP TOPIC CLIENT_ID
"""
import signal
import sys

from confluent_kafka import Consumer

bootstrap, group, topic, client = sys.argv[1:5]
consumer = Consumer({
    "bootstrap.servers": bootstrap, "group.id": group, "client.id": client, "auto.offset.reset": "earliest",
    "session.timeout.ms": 6000, "heartbeat.interval.ms": 500, "enable.auto.commit": True, "auto.commit.interval.ms": 300,
})
running = True


def stop(*_):
    global running
    running = False


signal.signal(signal.SIGTERM, stop)
consumer.subscribe([topic])
while running:
    consumer.poll(0.2)
consumer.close()
