"""Many connections each announcing the largest allowed frame and sending it slowly, against
`ridestream broker serve`, while the broker's resident memory is sampled.

Usage: memory_flood.py BOOTSTRAP PID FRAME_BYTES CONNECTIONS SECONDS
Each connection sends a frame prefix announcing FRAME_BYTES, then the body in 64 KiB pieces,
one piece per connection every 20 ms, for SECONDS (the body is zeros: a request the broker
answers or refuses once it is whole; a connection the broker closes is opened again). Checks (with a message naming what broke)
that the broker is still alive and answering an ApiVersions request at the end.
Prints "peak rss N bytes, baseline B bytes, sent S bytes, frames completed F".
"""
import select
import socket
import struct
import sys
import time

HOST, PORT = sys.argv[1].rsplit(":", 1)
PID, FRAME, CONNECTIONS, SECONDS = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
PIECE = b"\x00" * 65536


def rss():
    with open(f"/proc/{PID}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise SystemExit("FAILED: the broker process is gone")


def connect():
    sock = socket.create_connection((HOST, int(PORT)))
    sock.setblocking(False)
    return [sock, struct.pack(">i", FRAME), 0]  # socket, bytes pending, body bytes sent


baseline = rss()
connections = [connect() for _ in range(CONNECTIONS)]
peak, sent, completed = baseline, 0, 0
deadline = time.monotonic() + SECONDS
while time.monotonic() < deadline:
    for entry in connections:
        sock, pending, body = entry
        if not pending:
            if body >= FRAME:
                continue
            pending = PIECE[: min(len(PIECE), FRAME - body)]
            entry[2] = body + len(pending)
        try:
            written = sock.send(pending)
            sent += written
            entry[1] = pending[written:]
        except BlockingIOError:
            entry[1] = pending  # the broker stopped reading: TCP pushes back
        except (BrokenPipeError, ConnectionResetError):
            completed += 1
            sock.close()
            entry[:] = connect()
        if entry[2] >= FRAME and not entry[1]:
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                completed += 1
                sock.close()
                entry[:] = connect()
    peak = max(peak, rss())
    time.sleep(0.02)

for entry in connections:
    entry[0].close()
probe = socket.create_connection((HOST, int(PORT)), timeout=10)
request = struct.pack(">hhih", 18, 0, 7, 5) + b"flood"
probe.sendall(struct.pack(">i", len(request)) + request)
answer = probe.recv(4)
if len(answer) != 4:
    raise SystemExit("FAILED: the broker did not answer ApiVersions after the flood")
print(f"peak rss {peak} bytes, baseline {baseline} bytes, sent {sent} bytes, frames completed {completed}")
