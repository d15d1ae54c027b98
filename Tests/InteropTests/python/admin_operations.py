"""Kafka's administration operations from one admin client against `ridestream broker serve`.

Usage: admin_operations.py BOOTSTRAP CLIENT [--after-restart]
  CLIENT: confluent (confluent-kafka's AdminClient, librdkafka), kafka-python
          (KafkaAdminClient) or aiokafka (AIOKafkaAdminClient).

On topic adm-CLIENT (2 partitions, 100 records each, written by a confluent-kafka producer)
and group adm-CLIENT-g, with CLIENT's own admin calls wherever the client has one:
- DeleteRecords: partition 0 before offset 30 gives low watermark 30, earliest follows and a
  consumer from the beginning starts there; past the high watermark is OFFSET_OUT_OF_RANGE
  and deletes nothing;
- configs: retention.ms set (IncrementalAlterConfigs where the client has it, else
  AlterConfigs) and described back as a topic setting; an invalid value and an unknown
  setting are INVALID_CONFIG and change nothing; AlterConfigs replaces the whole set;
- groups: with a member consuming, ListGroups says Stable (where the client reports
  states), DeleteGroups is NON_EMPTY_GROUP and OffsetDelete of its topic
  GROUP_SUBSCRIBED_TO_TOPIC; once it left: Empty, OffsetDelete of partition 1 removes that
  offset alone, DeleteGroups removes the group, and again is GROUP_ID_NOT_FOUND.
With --after-restart (the broker restarted meanwhile) it checks that the log start, the
settings and the deletions survived. Prints "CLIENT: N checks passed"; any failure exits
non-zero with a message naming what broke.
"""
import asyncio
import sys
import time

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic, ResourceType

BOOTSTRAP, CLIENT = sys.argv[1], sys.argv[2]
AFTER_RESTART = "--after-restart" in sys.argv[3:]
TOPIC, GROUP = f"adm-{CLIENT}", f"adm-{CLIENT}-g"
RECORDS = 100
DEFAULT_RETENTION = None  # (value, source) before anything is changed
checks = 0


def check(condition, message):
    global checks
    if not condition:
        raise SystemExit(f"FAILED ({CLIENT}): {message}")
    checks += 1


def refused_with(code, work, what):
    """Runs work, which must fail with Kafka error `code` (its name in any of the clients' forms)."""
    try:
        work()
    except Exception as error:  # each client has its own exception types
        text = f"{type(error).__name__} {error}".replace("_", "").lower()
        check(code.replace("_", "").lower() in text, f"{what}: expected {code}, got {error!r}")
        return
    check(False, f"{what}: expected {code}, but it succeeded")


confluent = AdminClient({"bootstrap.servers": BOOTSTRAP})


def watermarks(partition):
    consumer = Consumer({"bootstrap.servers": BOOTSTRAP, "group.id": "adm-watermarks"})
    try:
        return consumer.get_watermark_offsets(TopicPartition(TOPIC, partition), timeout=10)
    finally:
        consumer.close()


def topic_config():
    resource = ConfigResource(ResourceType.TOPIC, TOPIC)
    described = confluent.describe_configs([resource])[resource].result(timeout=10)
    return {name: (entry.value, int(entry.source)) for name, entry in described.items()}


def broker_retention():
    broker_id = next(iter(confluent.list_topics(timeout=10).brokers))
    resource = ConfigResource(ResourceType.BROKER, str(broker_id))
    return confluent.describe_configs([resource])[resource].result(timeout=10)["log.retention.ms"].value


def committed():
    consumer = Consumer({"bootstrap.servers": BOOTSTRAP, "group.id": GROUP})
    try:
        found = consumer.committed([TopicPartition(TOPIC, 0), TopicPartition(TOPIC, 1)], timeout=10)
        return {tp.partition: tp.offset for tp in found if tp.offset >= 0}
    finally:
        consumer.close()


def group_ids():
    return {listing.group_id for listing in confluent.list_consumer_groups().result(timeout=10).valid}


class Confluent:
    """confluent-kafka 2.16 (librdkafka); its Python API has no OffsetDelete."""

    def __init__(self):
        from confluent_kafka.admin import AlterConfigOpType, ConfigEntry
        self.op, self.entry = AlterConfigOpType, ConfigEntry

    def delete_records(self, partition, offset):
        futures = confluent.delete_records([TopicPartition(TOPIC, partition, offset)])
        return next(iter(futures.values())).result(timeout=10).low_watermark

    def set_config(self, name, value):
        entry = self.entry(name, value, incremental_operation=self.op.SET)
        resource = ConfigResource(ResourceType.TOPIC, TOPIC, incremental_configs=[entry])
        next(iter(confluent.incremental_alter_configs([resource]).values())).result(timeout=10)

    def replace_configs(self, configs):
        resource = ConfigResource(ResourceType.TOPIC, TOPIC, set_config=configs)
        next(iter(confluent.alter_configs([resource]).values())).result(timeout=10)

    def group_states(self):
        return {g.group_id: g.state.name.lower() for g in confluent.list_consumer_groups().result(timeout=10).valid}

    def delete_group(self, group):
        next(iter(confluent.delete_consumer_groups([group]).values())).result(timeout=10)

    delete_offsets = None
    alter_keeps_others = False

    def close(self):
        pass


class KafkaPython:
    """kafka-python 3.0's KafkaAdminClient. Its AlterConfigs sends the topic's other
    modified settings along (so none is reset), as its documentation says."""

    alter_keeps_others = True

    def __init__(self):
        from kafka import KafkaAdminClient
        from kafka import TopicPartition as KafkaTopicPartition
        from kafka.admin import ConfigResource as KafkaConfigResource, ConfigResourceType
        self.admin = KafkaAdminClient(bootstrap_servers=BOOTSTRAP, client_id="adm-kafka-python")
        self.tp, self.resource, self.topic_type = KafkaTopicPartition, KafkaConfigResource, ConfigResourceType.TOPIC

    @staticmethod
    def raise_errors(result):
        """kafka-python returns per-item errors as values: raise the first one."""
        values = result.values() if isinstance(result, dict) else [result]
        for value in values:
            if isinstance(value, dict):
                KafkaPython.raise_errors(value)
            elif isinstance(value, str) and (value.startswith("[Error") or value.endswith("Error")):
                raise RuntimeError(value)
            elif isinstance(value, Exception) or (isinstance(value, type) and issubclass(value, Exception)):
                if getattr(value, "errno", None) != 0:  # NoError is an exception class too
                    raise value if isinstance(value, Exception) else value()
        return result

    def delete_records(self, partition, offset):
        result = self.admin.delete_records({self.tp(TOPIC, partition): offset})
        value = self.raise_errors(result)[self.tp(TOPIC, partition)]
        return value["low_watermark"] if isinstance(value, dict) else value

    def set_config(self, name, value):
        resource = self.resource(self.topic_type, TOPIC, {name: value})
        self.raise_errors(self.admin.alter_configs([resource], raise_on_unknown=False, incremental=True))

    def replace_configs(self, configs):
        resource = self.resource(self.topic_type, TOPIC, configs)
        self.raise_errors(self.admin.alter_configs([resource], raise_on_unknown=False, incremental=False))

    def group_states(self):
        listed = self.admin.list_groups()
        groups = listed.get("groups", listed) if isinstance(listed, dict) else listed
        states = {}
        for group in groups:
            if isinstance(group, dict):
                states[group["group_id"]] = str(group.get("group_state", "")).lower()
            else:
                states[group[0]] = str(group[2] if len(group) > 2 else "").lower()
        return states

    def delete_group(self, group):
        self.raise_errors(self.admin.delete_groups([group]))

    def close(self):
        self.admin.close()

    def delete_offsets(self, partitions):
        self.raise_errors(self.admin.delete_group_offsets(GROUP, [self.tp(TOPIC, p) for p in partitions]))


class AioKafka:
    """aiokafka 0.14's AIOKafkaAdminClient: no IncrementalAlterConfigs, no group states in its
    ListGroups (v0-2), no OffsetDelete; DeleteGroups is sent as its protocol request."""

    def __init__(self):
        from aiokafka.admin import AIOKafkaAdminClient
        self.loop = asyncio.new_event_loop()

        async def started():
            admin = AIOKafkaAdminClient(bootstrap_servers=BOOTSTRAP, client_id="adm-aiokafka")
            await admin.start()
            return admin
        self.admin = self.run(started())

    def run(self, work):
        return self.loop.run_until_complete(work)

    @staticmethod
    def raise_code(code):
        from aiokafka.errors import for_code
        if code:
            raise for_code(code)()

    def delete_records(self, partition, offset):
        from aiokafka.admin import RecordsToDelete
        from aiokafka.structs import TopicPartition as AioTopicPartition
        result = self.run(self.admin.delete_records({AioTopicPartition(TOPIC, partition): RecordsToDelete(offset)}))
        return result[AioTopicPartition(TOPIC, partition)]

    def alter(self, configs):
        from aiokafka.admin.config_resource import ConfigResource as AioConfigResource, ConfigResourceType
        for response in self.run(self.admin.alter_configs([AioConfigResource(ConfigResourceType.TOPIC, TOPIC, configs)])):
            for code, _message, *_ in response.resources:
                self.raise_code(code)

    def set_config(self, name, value):
        # AlterConfigs replaces the whole set: keep the other settings this test made.
        current = {k: v for k, (v, source) in topic_config().items() if source == 1 and k != name}
        self.alter({**current, name: value})

    def replace_configs(self, configs):
        self.alter(configs)

    def group_states(self):
        return {group[0]: "" for group in self.run(self.admin.list_consumer_groups())}

    def delete_group(self, group):
        from aiokafka.protocol.admin import DeleteGroupsRequest
        coordinator = self.run(self.admin.find_coordinator(group))
        response = self.run(self.admin._send_request(DeleteGroupsRequest([group]), coordinator))
        for _group, code in response.results:
            self.raise_code(code)

    delete_offsets = None
    alter_keeps_others = False

    def close(self):
        self.run(self.admin.close())
        self.loop.close()


def setup():
    confluent.create_topics([NewTopic(TOPIC, 2, 1)])[TOPIC].result(timeout=10)
    producer = Producer({"bootstrap.servers": BOOTSTRAP})
    for index in range(2 * RECORDS):
        producer.produce(TOPIC, value=b"record-%d" % index, partition=index % 2)
    check(producer.flush(30) == 0, "the setup producer did not deliver everything")


def delete_records(client):
    check(client.delete_records(0, 30) == 30, "delete_records(p0, 30): low watermark")
    check(watermarks(0) == (30, RECORDS), f"p0 watermarks after delete_records: {watermarks(0)}")
    refused_with("OFFSET_OUT_OF_RANGE", lambda: client.delete_records(1, 5 * RECORDS), "delete_records past the high watermark")
    check(watermarks(1) == (0, RECORDS), f"p1 unchanged by the refused delete: {watermarks(1)}")
    reader = Consumer({"bootstrap.servers": BOOTSTRAP, "group.id": f"{GROUP}-reader", "auto.offset.reset": "earliest",
                       "enable.auto.commit": False})
    reader.assign([TopicPartition(TOPIC, 0, -2)])  # OFFSET_BEGINNING
    first = None
    deadline = time.time() + 20
    while first is None and time.time() < deadline:
        message = reader.poll(1)
        if message is not None and not message.error():
            first = message.offset()
    reader.close()
    check(first == 30, f"a consumer from the beginning starts at the low watermark, got {first}")


def configs(client):
    global DEFAULT_RETENTION
    DEFAULT_RETENTION = topic_config()["retention.ms"]
    check(DEFAULT_RETENTION == (broker_retention(), 4), f"retention.ms starts as the broker's: {DEFAULT_RETENTION}")
    client.set_config("retention.ms", "7200000")
    check(topic_config()["retention.ms"] == ("7200000", 1), f"retention.ms after the change: {topic_config()['retention.ms']}")
    refused_with("INVALID_CONFIG", lambda: client.set_config("retention.ms", "soon"), "retention.ms=soon")
    refused_with("INVALID_CONFIG", lambda: client.set_config("min.insync.replicas", "2"), "an unknown setting")
    check(topic_config()["retention.ms"] == ("7200000", 1), "refused changes changed nothing")
    client.replace_configs({"segment.bytes": "2097152"})
    after = topic_config()
    check(after["segment.bytes"] == ("2097152", 1), f"segment.bytes after AlterConfigs: {after['segment.bytes']}")
    if client.alter_keeps_others:
        check(after["retention.ms"] == ("7200000", 1), f"retention.ms kept by the client's AlterConfigs: {after['retention.ms']}")
        client.replace_configs({"segment.bytes": "2097152", "retention.ms": DEFAULT_RETENTION[0]})
        after = topic_config()
        check(after["retention.ms"][0] == DEFAULT_RETENTION[0], f"retention.ms set back: {after['retention.ms']}")
    else:
        check(after["retention.ms"] == DEFAULT_RETENTION, f"AlterConfigs without retention.ms resets it: {after['retention.ms']}")


def groups(client):
    member = Consumer({"bootstrap.servers": BOOTSTRAP, "group.id": GROUP, "auto.offset.reset": "earliest",
                       "enable.auto.commit": False})
    member.subscribe([TOPIC])
    read, deadline = 0, time.time() + 30
    while read < 2 * RECORDS - 30 and time.time() < deadline:
        message = member.poll(1)
        if message is not None and not message.error():
            read += 1
    check(read == 2 * RECORDS - 30, f"the member read {read} records")
    member.commit(asynchronous=False)
    check(committed() == {0: RECORDS, 1: RECORDS}, f"committed offsets: {committed()}")
    states = client.group_states()
    check(GROUP in states, f"{GROUP} listed: {states}")
    if states[GROUP]:
        check(states[GROUP] == "stable", f"state with a member: {states[GROUP]}")
    refused_with("NON_EMPTY_GROUP", lambda: client.delete_group(GROUP), "deleting a group with a member")
    if client.delete_offsets:
        refused_with("GROUP_SUBSCRIBED_TO_TOPIC", lambda: client.delete_offsets([0]), "deleting offsets of a subscribed topic")
    member.close()
    states = client.group_states()
    if states.get(GROUP):
        check(states[GROUP] == "empty", f"state after the member left: {states[GROUP]}")
    if client.delete_offsets:
        client.delete_offsets([1])
        check(committed() == {0: RECORDS}, f"after deleting p1's offset: {committed()}")
    client.delete_group(GROUP)
    check(GROUP not in group_ids(), f"{GROUP} still listed after DeleteGroups")
    check(committed() == {}, f"offsets left after DeleteGroups: {committed()}")
    refused_with("GROUP_ID_NOT_FOUND", lambda: client.delete_group(GROUP), "deleting a deleted group")


def after_restart():
    check(watermarks(0) == (30, RECORDS), f"p0's log start after a restart: {watermarks(0)}")
    config = topic_config()
    check(config["segment.bytes"] == ("2097152", 1), f"segment.bytes after a restart: {config['segment.bytes']}")
    check(config["retention.ms"][0] == broker_retention(), f"retention.ms after a restart: {config['retention.ms']}")
    check(GROUP not in group_ids(), f"{GROUP} is back after a restart")


if AFTER_RESTART:
    after_restart()
else:
    client = {"confluent": Confluent, "kafka-python": KafkaPython, "aiokafka": AioKafka}[CLIENT]()
    setup()
    delete_records(client)
    configs(client)
    groups(client)
    client.close()
print(f"{CLIENT}: {checks} checks passed")
