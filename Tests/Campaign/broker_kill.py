"""One broker-kill fault of the campaign: `ridestream broker serve` SIGKILLed and restarted under
an idempotent acks=all producer and a committing consumer group, then checked as Jepsen's
Kafka checker does. See fault_campaign.py for the kinds and outcomes."""
import os
import shutil
import signal
import socket
import subprocess
import time

from power_loss import lose_power

TOPIC = "jepsen"
PARTITIONS = 3
KEYS = 24


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class BrokerKill:
    def __init__(self, campaign, index):
        self.campaign = campaign
        self.random = campaign.random
        self.binary = campaign.binary
        self.data = os.path.join(campaign.work, f"broker-{index}")
        self.power_loss = index % 3 == 2
        self.journal = self.data + ".journal"
        self.port = free_port()
        self.log = open(self.data + ".log", "w")
        self.process = None
        self.acked = {}  # value -> (partition, offset)
        self.failed = 0
        self.commits = {}  # partition -> highest acknowledged committed offset
        self.last_read = {}  # partition -> last offset the group read
        self.seen = {}  # (partition, offset) -> value, every record the group read
        self.violations = []
        self.kills = 0

    # --- the broker ---

    def start(self):
        command = [self.binary, "broker", "serve", "--port", str(self.port), "--data-dir", self.data,
                   "--default-partitions", str(PARTITIONS), "--initial-rebalance-delay-ms", "0"]
        environment = dict(os.environ)
        if self.power_loss:
            config = self.data + ".yaml"
            with open(config, "w") as file:
                file.write("broker: { flush: every_append }\n")
            command += ["--config", config]
            environment["RIDESTREAM_POWER_LOSS_JOURNAL"] = self.journal
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT, env=environment)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return True
            except OSError:
                time.sleep(0.02)
        return False

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self.kills += 1
        if self.power_loss:
            lose_power(self.journal)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    # --- the clients ---

    def delivered(self, error, message):
        if error is None:
            self.acked[message.value().decode()] = (message.partition(), message.offset())
        else:
            self.failed += 1

    def read(self, consumer):
        message = consumer.poll(0.005)
        if message is None or message.error():
            return 0
        partition, offset = message.partition(), message.offset()
        self.seen[(partition, offset)] = message.value().decode()
        last = self.last_read.get(partition)
        if last is not None and offset > last + 1:
            self.violations.append(f"the group's reads skipped partition {partition} offsets {last + 1}..{offset - 1}")
        self.last_read[partition] = offset
        return 1

    def commit(self, consumer):
        from confluent_kafka import KafkaException
        try:
            for committed in consumer.commit(asynchronous=False) or []:
                if committed.error is None and committed.offset >= 0:
                    self.commits[committed.partition] = max(self.commits.get(committed.partition, -1), committed.offset)
        except KafkaException:
            pass  # not acknowledged: nothing to hold the broker to

    def run(self):
        try:
            return self.faults()
        finally:
            self.stop()
            shutil.rmtree(self.data, ignore_errors=True)
            for leftover in (self.journal, self.data + ".yaml", self.data + ".log"):
                if os.path.exists(leftover):
                    os.remove(leftover)

    def faults(self):
        from confluent_kafka import Consumer, Producer
        if not self.start():
            return "WRONG", f"broker serve did not start: {open(self.data + '.log').read()[-300:]}"
        bootstrap = f"127.0.0.1:{self.port}"
        producer = Producer({
            "bootstrap.servers": bootstrap, "log_level": 0, "enable.idempotence": True, "acks": "all", "linger.ms": 2,
            "message.timeout.ms": 60000, "retry.backoff.ms": 50, "reconnect.backoff.ms": 20, "reconnect.backoff.max.ms": 300,
        })
        consumer = Consumer({
            "bootstrap.servers": bootstrap, "log_level": 0, "group.id": "jepsen", "auto.offset.reset": "earliest", "enable.auto.commit": False,
            "session.timeout.ms": 6000, "heartbeat.interval.ms": 300, "reconnect.backoff.ms": 20, "reconnect.backoff.max.ms": 300,
        })
        consumer.subscribe([TOPIC])
        duration = self.random.uniform(4, 7)
        kills = sorted(self.random.uniform(0.5, duration - 1) for _ in range(self.random.randint(1, 3)))
        sequence = [0] * KEYS
        started = time.monotonic()
        restarted = True
        reads = 0
        while time.monotonic() - started < duration:
            if kills and time.monotonic() - started >= kills[0]:
                kills.pop(0)
                self.kill()
                time.sleep(self.random.uniform(0, 0.8))
                if not self.start():
                    restarted = False
                    break
            for _ in range(20):
                key = self.random.randrange(KEYS)
                value = f"k{key}:{sequence[key]}"
                sequence[key] += 1
                try:
                    producer.produce(TOPIC, key=f"k{key}", value=value, on_delivery=self.delivered)
                except BufferError:
                    producer.poll(0.05)
            producer.poll(0)
            for _ in range(10):
                reads += self.read(consumer)
            if reads >= 200:
                self.commit(consumer)
                reads = 0
        if not restarted:
            reason = open(self.data + ".log").read().strip().splitlines()[-1:]
            return "FAILED", f"broker serve did not restart after the kill: {reason}"
        unflushed = producer.flush(90)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and sum(self.last_read.values()) + PARTITIONS < len(self.acked):
            self.read(consumer)
        self.commit(consumer)
        consumer.close()
        return self.check(bootstrap, unflushed)

    def check(self, bootstrap, unflushed):
        from confluent_kafka import Consumer, TopicPartition, OFFSET_BEGINNING
        reader = Consumer({"bootstrap.servers": bootstrap, "log_level": 0, "group.id": "jepsen", "enable.auto.commit": False})
        logs = {}
        for partition in range(PARTITIONS):
            low, high = reader.get_watermark_offsets(TopicPartition(TOPIC, partition), timeout=30)
            logs[partition] = (low, high, [])
        reader.assign([TopicPartition(TOPIC, partition, OFFSET_BEGINNING) for partition in range(PARTITIONS)])
        remaining = sum(high - low for low, high, _ in logs.values())
        deadline = time.monotonic() + 60
        while remaining > 0 and time.monotonic() < deadline:
            message = reader.poll(0.5)
            if message is None or message.error():
                continue
            logs[message.partition()][2].append((message.offset(), message.value().decode()))
            remaining -= 1
        committed = {tp.partition: tp.offset for tp in reader.committed([TopicPartition(TOPIC, p) for p in range(PARTITIONS)], timeout=30)}
        reader.close()

        found = {}
        duplicated = lost = moved = reordered = 0
        for partition, (low, high, records) in logs.items():
            offsets = [offset for offset, _ in records]
            if offsets != list(range(low, high)):
                self.violations.append(f"partition {partition}: offsets are not {low}..{high - 1} without gaps")
            for offset, value in records:
                if value in found:
                    duplicated += 1
                found[value] = (partition, offset)
        for value, place in self.acked.items():
            if value not in found:
                lost += 1
            elif found[value] != place:
                moved += 1
        last = {}
        for partition in range(PARTITIONS):
            for _, value in logs[partition][2]:
                key, number = value.split(":")
                if int(number) <= last.get(key, -1):
                    reordered += 1
                last[key] = int(number)
        for partition, offset in self.commits.items():
            high = logs[partition][1]
            if committed.get(partition, -1) < offset:
                self.violations.append(f"partition {partition}: committed offset {committed.get(partition)} is behind an acknowledged commit of {offset}")
            if committed.get(partition, -1) > high:
                self.violations.append(f"partition {partition}: committed offset {committed.get(partition)} is past the log end {high}")
        # A record the group read must still be there: nothing read may be lost or change after.
        in_log = {(partition, offset): value for partition, (_, _, records) in logs.items() for offset, value in records}
        vanished = sum(1 for place, value in self.seen.items() if in_log.get(place) != value)
        if vanished:
            self.violations.append(f"{vanished} records the group read are not in the log at their offset any more")
        if remaining > 0:
            self.violations = [f"the final read stopped {remaining} records short of the log end (timed out)"]
        for name, count in (("lost", lost), ("stored away from its acknowledged offset", moved), ("stored twice", duplicated), ("out of order per key", reordered)):
            if count:
                self.violations.append(f"{count} acknowledged records {name}")
        how = f"{self.kills} x " + ("power loss (flush every_append)" if self.power_loss else "kill -9")
        detail = (f"{how}: {len(self.acked)} acknowledged, {self.failed + unflushed} not, {sum(len(r) for _, _, r in logs.values())} in the log, "
                  f"{len(self.commits)} partitions committed")
        if self.violations:
            return "WRONG", detail + ": " + "; ".join(self.violations[:4])
        return "correct", detail
