"""Malformed, oversized and abandoned requests against a running `ridestream broker serve`.

Usage: robustness.py BOOTSTRAP IDLE_TIMEOUT_MS
Every bad connection must be answered with an error or closed on its own, while a
confluent-kafka producer on another connection keeps producing; at the end every record it
produced is in the topic and the broker still answers.
"""
import socket
import struct
import sys
import threading
import time

from confluent_kafka import Consumer, Producer, TopicPartition

BOOTSTRAP = sys.argv[1]
IDLE_TIMEOUT_MS = int(sys.argv[2])
HOST, PORT = BOOTSTRAP.rsplit(":", 1)
TOPIC = "robust"
RECORDS = 20000


def check(condition, message):
    if not condition:
        raise SystemExit(f"FAILED: {message}")


def connect(host=HOST):
    sock = socket.create_connection((host, int(PORT)), timeout=10)
    return sock


def request(api_key, version, correlation, body=b"", client=b"robustness"):
    header = struct.pack(">hhih", api_key, version, correlation, len(client)) + client
    payload = header + body
    return struct.pack(">i", len(payload)) + payload


def read_response(sock):
    size_bytes = recv_exactly(sock, 4)
    if size_bytes is None:
        return None
    (size,) = struct.unpack(">i", size_bytes)
    return recv_exactly(sock, size)


def recv_exactly(sock, count):
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def closed_by_broker(sock):
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


produced = []
producer_errors = []


def keep_producing():
    producer = Producer({"bootstrap.servers": BOOTSTRAP, "acks": "all", "linger.ms": 2})
    for i in range(RECORDS):
        producer.produce(TOPIC, value=f"r-{i}", on_delivery=lambda e, m: producer_errors.append(e) if e else produced.append(1))
        producer.poll(0)
    producer.flush(60)


producing = threading.Thread(target=keep_producing)
producing.start()

# An unknown API key and an unsupported version are answered with UNSUPPORTED_VERSION (35),
# and the connection stays usable.
sock = connect()
sock.sendall(request(999, 0, 41))
answer = read_response(sock)
check(answer is not None and answer[:4] == struct.pack(">i", 41) and answer[4:6] == struct.pack(">h", 35),
      f"unknown API key: expected correlation 41 and error 35, got {answer!r}")
sock.sendall(request(3, 99, 42))
answer = read_response(sock)
check(answer is not None and answer[:4] == struct.pack(">i", 42) and answer[4:6] == struct.pack(">h", 35),
      f"Metadata v99: expected correlation 42 and error 35, got {answer!r}")
sock.sendall(request(18, 0, 43))
answer = read_response(sock)
check(answer is not None and answer[:4] == struct.pack(">i", 43) and answer[4:6] == b"\x00\x00",
      "the connection no longer answers ApiVersions after the errors")
sock.close()

# A frame larger than the limit closes the connection before anything is allocated.
sock = connect()
sock.sendall(struct.pack(">i", 0x7FFFFFF0) + b"\x00" * 64)
check(closed_by_broker(sock), "an oversized frame did not close the connection")
sock.close()

# A negative size closes it too.
sock = connect()
sock.sendall(struct.pack(">i", -5))
check(closed_by_broker(sock), "a negative frame size did not close the connection")
sock.close()

# A Produce whose body is garbage closes that connection.
sock = connect()
sock.sendall(request(0, 8, 7, body=b"\xff\xfe\x00\x01garbage" * 10))
check(closed_by_broker(sock), "a malformed Produce body did not close the connection")
sock.close()

# An array count far beyond the frame: refused without allocating, connection closed.
sock = connect()
sock.sendall(request(3, 1, 8, body=struct.pack(">i", 0x7FFFFFFF)))
check(closed_by_broker(sock), "a huge array count did not close the connection")
sock.close()

# Clients that vanish mid-frame or mid-request.
for cut in (2, 4, 10):
    sock = connect()
    sock.sendall(request(3, 1, 9, body=struct.pack(">i", -1))[:cut])
    sock.close()
sock = connect()
sock.sendall(struct.pack(">i", 1000) + b"\x00" * 100)  # promises 1000 bytes, sends 100
sock.close()
# A client that sends a long-poll Fetch and disappears before the answer.
sock = connect()
fetch_body = struct.pack(">iiiib", -1, 5000, 1, 1048576, 0) + struct.pack(">ii", 0, -1) + struct.pack(">i", 1)
fetch_body += struct.pack(">h", len(TOPIC)) + TOPIC.encode() + struct.pack(">i", 1)
fetch_body += struct.pack(">iqqi", 0, 10**9, 0, 1048576) + struct.pack(">i", 0)
sock.sendall(request(1, 5, 10, body=fetch_body))
sock.close()

# Many connections at once, on both loopback addresses, each answered in request order.
sockets = [connect("127.0.0.1" if n % 2 == 0 else "::1") for n in range(200)]
for n, sock in enumerate(sockets):
    sock.sendall(request(18, 0, 1000 + n) + request(18, 1, 5000 + n))
for n, sock in enumerate(sockets):
    first, second = read_response(sock), read_response(sock)
    check(first is not None and first[:4] == struct.pack(">i", 1000 + n), f"connection {n}: first answer {first[:8] if first else None!r}")
    check(second is not None and second[:4] == struct.pack(">i", 5000 + n), f"connection {n}: answers out of order")
    sock.close()

# A connection that sends nothing is closed after the idle timeout.
sock = connect()
sock.settimeout(IDLE_TIMEOUT_MS / 1000 * 5 + 5)
started = time.time()
check(closed_by_broker(sock), "an idle connection was not closed")
idle = time.time() - started
check(idle >= IDLE_TIMEOUT_MS / 1000 * 0.9, f"the idle connection was closed after {idle:.2f} s, before the {IDLE_TIMEOUT_MS} ms timeout")
sock.close()

producing.join()
check(not producer_errors, f"the producer saw errors: {producer_errors[:3]}")
check(len(produced) == RECORDS, f"{len(produced)} of {RECORDS} records acknowledged")

consumer = Consumer({"bootstrap.servers": BOOTSTRAP, "group.id": "robust-check", "enable.auto.commit": False})
partitions = consumer.list_topics(TOPIC, timeout=10).topics[TOPIC].partitions
stored = 0
for partition in partitions:
    low, high = consumer.get_watermark_offsets(TopicPartition(TOPIC, partition), timeout=10)
    check(low == 0, f"partition {partition} starts at {low}")
    stored += high
consumer.close()
check(stored == RECORDS, f"the topic holds {stored} records, expected {RECORDS}")
print(f"robustness passed: {RECORDS} records stored while bad clients came and went")
