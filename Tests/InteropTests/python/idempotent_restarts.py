"""An idempotent confluent-kafka producer whose acknowledgement is lost in a broker crash.

Usage: idempotent_restarts.py CONTROL_DIR COUNT
The script starts a small Kafka-frame proxy and prints "proxy PORT"; the caller starts
`ridestream broker serve --advertised-port PORT`, so that every client connection goes through
the proxy, and writes the broker's own port to CONTROL_DIR/broker. A producer with
enable.idempotence and acks=all then sends COUNT keyed records ("r-0", ...) through the proxy.

The proxy passes frames both ways until the broker's 20th Produce response, which it swallows:
the broker has stored that batch, the producer never hears so. It cuts the broker side, prints
"dropped", and waits for CONTROL_DIR/restarted, which the caller writes after killing the broker
with SIGKILL and starting it again on the same port and data directory. Then it closes the
producer's connection; librdkafka reconnects and retries the batch with its original sequence
numbers. The restarted broker must answer it from the producer state it rebuilt, not store it
again: at the end every record is stored exactly once, in produce order within each partition.
"""
import os
import socket
import struct
import sys
import threading
import time

from confluent_kafka import Consumer, Producer, TopicPartition

CONTROL = sys.argv[1]
COUNT = int(sys.argv[2])
TOPIC = "restarts"
PRODUCE = 0
DROP_AT = 20


def check(condition, message):
    if not condition:
        raise SystemExit(f"FAILED: {message}")


def wait_for_file(name, seconds=120):
    path = os.path.join(CONTROL, name)
    deadline = time.time() + seconds
    while not os.path.exists(path):
        if time.time() > deadline:
            print(f"FAILED: timed out waiting for {path}", flush=True)
            os._exit(1)  # also from the proxy's threads, where SystemExit would end the thread only
        time.sleep(0.02)
    with open(path) as handle:
        return handle.read().strip()


def cut(sock):
    """Closes a socket another thread may be blocked on (close alone would not wake it)."""
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


def read_frame(sock):
    data = b""
    while len(data) < 4:
        chunk = sock.recv(4 - len(data))
        if not chunk:
            return None
        data += chunk
    size = struct.unpack(">i", data)[0]
    body = b""
    while len(body) < size:
        chunk = sock.recv(min(1 << 16, size - len(body)))
        if not chunk:
            return None
        body += chunk
    return data + body


class Proxy:
    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.upstream_port = None
        self.produce_responses = 0
        self.lock = threading.Lock()
        self.dropped = False

    def serve(self):
        while True:
            client, _ = self.listener.accept()
            threading.Thread(target=self.connection, args=(client,), daemon=True).start()

    def connection(self, client):
        try:
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
        except OSError:
            client.close()
            return
        api_keys = {}
        threading.Thread(target=self.requests, args=(client, upstream, api_keys), daemon=True).start()
        try:
            while True:
                frame = read_frame(upstream)
                if frame is None:
                    break
                correlation = struct.unpack(">i", frame[4:8])[0]
                if api_keys.pop(correlation, None) == PRODUCE and self.swallow():
                    cut(upstream)
                    print("dropped", flush=True)
                    wait_for_file("restarted")
                    break
                client.sendall(frame)
        except OSError:
            pass
        finally:
            cut(client)
            cut(upstream)

    def requests(self, client, upstream, api_keys):
        try:
            while True:
                frame = read_frame(client)
                if frame is None:
                    break
                api_key, _, correlation = struct.unpack(">hhi", frame[4:12])
                api_keys[correlation] = api_key
                upstream.sendall(frame)
        except OSError:
            pass
        finally:
            cut(upstream)

    def swallow(self):
        with self.lock:
            self.produce_responses += 1
            if self.produce_responses == DROP_AT and not self.dropped:
                self.dropped = True
                return True
            return False


proxy = Proxy()
print(f"proxy {proxy.port}", flush=True)
proxy.upstream_port = int(wait_for_file("broker"))
threading.Thread(target=proxy.serve, daemon=True).start()
bootstrap = f"127.0.0.1:{proxy.port}"

producer = Producer({
    "bootstrap.servers": bootstrap, "enable.idempotence": True, "acks": "all", "linger.ms": 5,
    "batch.num.messages": 200, "message.timeout.ms": 120000,
    "reconnect.backoff.ms": 50, "reconnect.backoff.max.ms": 500,
})
failures = []


def delivered(error, message):
    if error is not None:
        failures.append(str(error))


for index in range(COUNT):
    while True:
        try:
            producer.produce(TOPIC, value=f"r-{index}".encode(), key=str(index % 97).encode(), on_delivery=delivered)
            break
        except BufferError:
            producer.poll(0.05)
    if index % 500 == 0:
        producer.poll(0)
        time.sleep(0.005)
left = producer.flush(120)
check(proxy.dropped, f"only {proxy.produce_responses} Produce responses: none was dropped")
check(left == 0, f"{left} records never acknowledged")
check(not failures, f"{len(failures)} delivery failures, first: {failures[:3]}")

consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "restarts-check", "enable.auto.commit": False})
partitions = consumer.list_topics(TOPIC, timeout=10).topics[TOPIC].partitions
ends = {}
for partition in partitions:
    low, high = consumer.get_watermark_offsets(TopicPartition(TOPIC, partition), timeout=10)
    ends[partition] = high
consumer.assign([TopicPartition(TOPIC, partition, 0) for partition in partitions])
values = {partition: [] for partition in partitions}
deadline = time.time() + 120
while any(len(values[p]) < ends[p] for p in partitions) and time.time() < deadline:
    message = consumer.poll(1.0)
    if message is None or message.error():
        continue
    values[message.partition()].append(int(message.value().decode()[2:]))
consumer.close()

stored = [value for partition in partitions for value in values[partition]]
check(sum(ends.values()) == len(stored), f"read {len(stored)} records, the partitions end at {ends}")
duplicates = len(stored) - len(set(stored))
check(duplicates == 0, f"{duplicates} records stored twice")
check(set(stored) == set(range(COUNT)), f"{COUNT - len(set(stored))} records missing")
for partition, numbers in values.items():
    check(numbers == sorted(numbers), f"partition {partition} is out of produce order")
print(f"{COUNT} records, each stored once, though the broker crashed before acknowledging a batch")
