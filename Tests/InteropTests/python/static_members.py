"""Static membership (KIP-345) with confluent-kafka against a running `ridestream broker serve`.

Usage: static_members.py BOOTSTRAP [ASSIGNOR]   (range, the default, or cooperative-sticky)
Two consumers with group.instance.id host-a and host-b share a 4-partition topic. host-a is
closed (a static member does not leave its group) and started again within its session: it
must get exactly its old partitions back, and host-b, polling all along, must see no
rebalance (no revoke, no new assignment). Then a second consumer with host-a's instance id
starts: the running one must be fenced (FENCED_INSTANCE_ID). Prints
"static member back with its partitions, no rebalance; duplicate fenced".
"""
import sys
import threading
import time

from confluent_kafka import Consumer, KafkaError
from confluent_kafka.admin import AdminClient, NewTopic

BOOTSTRAP = sys.argv[1]
ASSIGNOR = sys.argv[2] if len(sys.argv) > 2 else "range"
TOPIC, GROUP = f"static-rides-{ASSIGNOR}", f"static-group-{ASSIGNOR}"


def check(condition, message):
    if not condition:
        raise SystemExit(f"FAILED: {message}")


admin = AdminClient({"bootstrap.servers": BOOTSTRAP})  # kept: a collected client cancels its futures
admin.create_topics([NewTopic(TOPIC, 4, 1)])[TOPIC].result(timeout=10)


class Member:
    def __init__(self, instance):
        self.assigned, self.revoked, self.errors = [], [], []
        self.consumer = Consumer({
            "bootstrap.servers": BOOTSTRAP, "group.id": GROUP, "group.instance.id": instance,
            "session.timeout.ms": 10000, "heartbeat.interval.ms": 300, "auto.offset.reset": "earliest",
            "client.id": instance, "error_cb": lambda error: self.errors.append(error),
            "partition.assignment.strategy": ASSIGNOR,
        })
        self.consumer.subscribe([TOPIC], on_assign=self.on_assign, on_revoke=self.on_revoke)

    def on_assign(self, consumer, partitions):
        # Cooperative assignors hand out increments: what it owns is what was added so far.
        previous = self.assigned[-1] if self.assigned and ASSIGNOR != "range" else []
        self.assigned.append(sorted(set(previous) | {p.partition for p in partitions}))

    def on_revoke(self, consumer, partitions):
        self.revoked.append(sorted(p.partition for p in partitions))
        if ASSIGNOR != "range" and self.assigned:
            self.assigned.append(sorted(set(self.assigned[-1]) - {p.partition for p in partitions}))

    def poll_until(self, condition, seconds=30):
        deadline = time.time() + seconds
        while not condition() and time.time() < deadline:
            message = self.consumer.poll(0.2)
            if message is not None and message.error():
                self.errors.append(message.error())
        return condition()


a, b = Member("host-a"), Member("host-b")
stop = threading.Event()


def keep_polling(member):
    while not stop.is_set():
        message = member.consumer.poll(0.2)
        if message is not None and message.error():
            member.errors.append(message.error())


# Both assigned in one generation (a starts polling first; b joins within the first rebalance).
a_thread = threading.Thread(target=keep_polling, args=(a,))
a_thread.start()
check(b.poll_until(lambda: b.assigned and b.assigned[-1] and a.assigned and a.assigned[-1]
                   and sorted(a.assigned[-1] + b.assigned[-1]) == [0, 1, 2, 3]), f"assignments: a {a.assigned}, b {b.assigned}")
# Let the group settle: the last assignment of each stays for a second.
settled = (list(a.assigned), list(b.assigned), list(b.revoked))
b.poll_until(lambda: False, seconds=1.5)
check((a.assigned, b.assigned, b.revoked) == settled, f"the group kept rebalancing: a {a.assigned}, b {b.assigned}")
before, revokes, assigns = a.assigned[-1], len(b.revoked), len(b.assigned)
stop.set()
a_thread.join()
stop.clear()
a.consumer.close()  # static: no LeaveGroup

again = Member("host-a")
b_thread = threading.Thread(target=keep_polling, args=(b,))
b_thread.start()
check(again.poll_until(lambda: bool(again.assigned)), "the restarted static member got no assignment")
check(again.assigned[-1] == before, f"it got {again.assigned[-1]}, had {before}")
again.poll_until(lambda: False, seconds=1.5)
check(len(b.revoked) == revokes and len(b.assigned) == assigns, f"host-b saw a rebalance: revoked {b.revoked}, assigned {b.assigned}")

# A duplicate host-a: the newest holds the instance id, the running one is fenced.
duplicate = Member("host-a")
duplicate_thread = threading.Thread(target=keep_polling, args=(duplicate,))
duplicate_thread.start()
def is_fencing(error):
    # librdkafka reports it as fatal (_FATAL), naming the broker's FENCED_INSTANCE_ID.
    return error.code() in (KafkaError.FENCED_INSTANCE_ID, KafkaError._FATAL) and "fenced" in str(error).lower()


fenced = again.poll_until(lambda: any(is_fencing(e) for e in again.errors), seconds=30)
check(fenced, f"the older host-a was not fenced: {again.errors}")
stop.set()
b_thread.join()
duplicate_thread.join()
for member in (b, duplicate):
    member.consumer.close()
print(f"{ASSIGNOR}: static member back with its partitions, no rebalance; duplicate fenced")
