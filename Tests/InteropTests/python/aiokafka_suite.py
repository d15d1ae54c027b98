"""aiokafka (asyncio; the client under FastStream) against a running `ridestream broker serve`.

Usage: aiokafka_suite.py BOOTSTRAP
Checks, each with a message naming what broke:
- its admin client creates a 6-partition topic and describes it;
- an idempotent producer (acks=all) stores 3000 keyed records, each once;
- a group reads them across two rebalances (a second member joins, reads, leaves): each record
  counted once, and only after its offset was committed; a record never read, or read by two
  members, is a broker bug (a commit of a past generation accepted, a new owner started
  anywhere but at the committed offset).
Prints "3000 records, each read once; members a, b".
"""
import asyncio
import sys
import time

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import (CommitFailedError, IllegalGenerationError, IllegalStateError, RebalanceInProgressError,
                             UnknownMemberIdError)

BOOTSTRAP = sys.argv[1]
TOPIC, GROUP, RECORDS = "aio-rides", "aio-group", 3000


def check(condition, message):
    if not condition:
        raise SystemExit(f"FAILED: {message}")


async def admin():
    client = AIOKafkaAdminClient(bootstrap_servers=BOOTSTRAP, client_id="aio-admin")
    await client.start()
    try:
        await client.create_topics([NewTopic(TOPIC, num_partitions=6, replication_factor=1)])
        described = await client.describe_topics([TOPIC])
        check(len(described[0]["partitions"]) == 6, f"describe_topics: {described}")
    finally:
        await client.close()


async def produce():
    producer = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP, enable_idempotence=True, acks="all", client_id="aio-producer")
    await producer.start()
    try:
        sent = [await producer.send(TOPIC, key=b"key-%d" % i, value=b"ride-%d" % i) for i in range(RECORDS)]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


async def member(name, done, stop_after=None):
    """Reads and commits; counts a batch only once its commit succeeded."""
    consumer = AIOKafkaConsumer(TOPIC, bootstrap_servers=BOOTSTRAP, group_id=GROUP, client_id=f"aio-{name}",
                                enable_auto_commit=False, auto_offset_reset="earliest", heartbeat_interval_ms=300)
    await consumer.start()
    counted = 0
    # The offset this member last committed per partition. aiokafka may hand a member records
    # below its own commit again when that commit raced the group's next generation (it
    # refreshed its positions first): the member already counted them and skips them, as an
    # application committing after processing would. Another member reading them is a failure.
    committed = {}
    deadline = time.time() + 120
    try:
        while len(done) < RECORDS and time.time() < deadline and (stop_after is None or counted < stop_after):
            batches = await consumer.getmany(timeout_ms=300, max_records=50)
            await asyncio.sleep(0.1)  # a paced reader, so that the rebalances happen mid-stream
            for partition, messages in batches.items():
                messages = [message for message in messages if message.offset >= committed.get(partition, -1)]
                if not messages:
                    continue
                try:
                    await consumer.commit({partition: messages[-1].offset + 1})
                    committed[partition] = messages[-1].offset + 1
                except (CommitFailedError, IllegalGenerationError, IllegalStateError, RebalanceInProgressError, UnknownMemberIdError):
                    continue  # rebalanced meanwhile (no longer ours, or a new generation): read again from the committed offset
                for message in messages:
                    check(message.key not in done, f"{message.key!r} read twice ({done.get(message.key)} and {name})")
                    done[message.key] = name
                    counted += 1
    finally:
        await consumer.stop()
    return counted


async def main():
    await admin()
    await produce()
    done = {}
    # b joins once a has read 300 (a rebalance), leaves after 500 (another); a carries on.
    first = asyncio.create_task(member("a", done))
    while len(done) < 300 and not first.done():
        await asyncio.sleep(0.01)
    second = asyncio.create_task(member("b", done, stop_after=500))
    counts = await asyncio.gather(first, second)
    check(len(done) == RECORDS, f"{len(done)} of {RECORDS} records read (a {counts[0]}, b {counts[1]})")
    check(all(count > 0 for count in counts), f"both members read records: a {counts[0]}, b {counts[1]}")
    print(f"{RECORDS} records, each read once; members a, b")


asyncio.run(main())
