"""A broken or hostile Kafka broker for `ridestream topics --bootstrap`, on 127.0.0.1.

Usage: hostile_broker.py SCENARIO
  drip        answers correctly, one byte every 0.3 s (never stalls long enough for a
              per-read timeout);
  overflow    ListOffsets says the log ends at 2^63-1 and starts at 0;
  leaderless  partition 1 of topic "rides" has no leader (-1, LEADER_NOT_AVAILABLE);
  escapes     the topic's name holds a terminal escape sequence.
Serves ApiVersions v0, Metadata v1 and ListOffsets v1 only (so DescribeConfigs is
"unsupported"). Prints its port, then serves until killed.
"""
import socket
import struct
import sys
import threading
import time

SCENARIO = sys.argv[1]
TOPIC = "rides\x1b]0;owned\x07" if SCENARIO == "escapes" else "rides"
server = socket.socket()
server.bind(("127.0.0.1", 0))
server.listen()
PORT = server.getsockname()[1]


def i16(value): return struct.pack(">h", value)
def i32(value): return struct.pack(">i", value)
def i64(value): return struct.pack(">q", value)
def string(text): data = text.encode(); return i16(len(data)) + data


def receive(connection, count):
    data = b""
    while len(data) < count:
        chunk = connection.recv(count - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def answer(key, body):
    if key == 18:  # ApiVersions v0
        apis = [(18, 0, 2), (3, 0, 1), (2, 0, 1)]
        return i16(0) + i32(len(apis)) + b"".join(i16(k) + i16(low) + i16(high) for k, low, high in apis)
    if key == 3:  # Metadata v1: one broker, topic with partitions 0 and 1
        brokers = i32(1) + i32(1) + string("127.0.0.1") + i32(PORT) + i16(-1)
        leader, error = (-1, 5) if SCENARIO == "leaderless" else (1, 0)
        partitions = i32(2) + i16(0) + i32(0) + i32(1) + i32(1) + i32(1) + i32(1) + i32(1)
        partitions += i16(error) + i32(1) + i32(leader) + i32(0) + i32(0)
        return brokers + i32(1) + i32(1) + i16(0) + string(TOPIC) + b"\x00" + partitions
    if key == 2:  # ListOffsets v1: echo each partition asked
        position = 4
        (topics,) = struct.unpack(">i", body[position:position + 4]); position += 4
        out = i32(topics)
        for _ in range(topics):
            (length,) = struct.unpack(">h", body[position:position + 2]); position += 2
            name = body[position:position + length]; position += length
            (count,) = struct.unpack(">i", body[position:position + 4]); position += 4
            out += i16(len(name)) + name + i32(count)
            for _ in range(count):
                partition, timestamp = struct.unpack(">iq", body[position:position + 12]); position += 12
                offset = (2**63 - 1 if SCENARIO == "overflow" else 100) if timestamp == -1 else 0
                out += i32(partition) + i16(0) + i64(-1) + i64(offset)
        return out
    return i16(35)


def serve(connection):
    try:
        while True:
            (size,) = struct.unpack(">i", receive(connection, 4))
            request = receive(connection, size)
            key, _version, correlation = struct.unpack(">hhi", request[:8])
            (client_length,) = struct.unpack(">h", request[8:10])
            frame = i32(correlation) + answer(key, request[10 + max(0, client_length):])
            out = i32(len(frame)) + frame
            if SCENARIO == "drip":
                for byte in out:
                    connection.sendall(bytes([byte]))
                    time.sleep(0.3)
            else:
                connection.sendall(out)
    except (EOFError, OSError):
        connection.close()


print(PORT, flush=True)
while True:
    client, _ = server.accept()
    threading.Thread(target=serve, args=(client,), daemon=True).start()
