#!/usr/bin/env python3
"""The fault campaign: the release `ridestream` binary faced with the faults of the edges, from a
seed, and a table of what was tried and what went wrong.

Usage: Tests/Campaign/fault_campaign.py [--seed S] [--kills N] [--broker-kills N] [--disk-full N]
                                        [--damage N] [--power-losses N] [--mock-clusters N]
                                        [--binary PATH] [--keep DIR]

Run it with the Python that has confluent-kafka (`.venv/bin/python`, made by `.ci/setup`) for
the broker kinds.

Every fault ends in one of these ways; the last two are failures (exit 1):
- refused: a command exited non-zero with a message naming the problem (a damaged log); only
  damage may end so, and a cluster whose log holds a record twice: after a kill, a full disk
  given room or a power loss the run must finish;
- correct: the run, resumed until it finishes, ends with exactly the rows of an uninterrupted
  run of the same configuration (every business table of the three databases, compared
  row by row);
- FAILED: a fault the run must survive made it refuse (with its reason);
- WRONG: a command exited 0 and the rows differ, or a command crashed, hung or printed no
  reason for failing.

Kinds:
- kill: `simulate` SIGKILLed at a random moment (one in five in its first 150 ms, one in
  three killed again during its resume), then `--resume` until it exits 0;
- broker-kill: `broker serve` SIGKILLed (one to three times) and restarted on the same port
  while an idempotent acks=all confluent-kafka producer writes 24 keys and a consumer group
  reads and commits; then checked as Jepsen's Kafka checker does: no acknowledged record lost
  or away from its acknowledged offset, none stored twice, none out of order per key, no
  offset gaps, the group's committed offsets never behind an acknowledged commit nor past the
  log end, and the group's reads never skipping an offset. One try in three is a power loss
  instead (`flush: every_append` through the power-loss journal, below): still nothing
  acknowledged may be lost;
- power-loss: `simulate` with every log write kept in memory until fsynced
  (`RIDESTREAM_POWER_LOSS_JOURNAL`), SIGKILLed at a random moment, then every file created
  in a directory never synced removed: what a machine losing power keeps. The databases are
  then ahead of the log; `--resume` must finish the run with the rows of an uninterrupted one
  (segment size and flush policy random: never, interval, every_append);
- mock-cluster: `simulate --bootstrap` (cluster mode, through librdkafka) on librdkafka's mock
  cluster (`mock_cluster.c`: three brokers; leaders moved, a broker taken down and back, the
  group coordinator moved, retriable errors pushed for produce, fetch, commit and group
  requests); must end with the rows of an embedded run, or fail naming why (needs a build with
  `--traits KafkaCluster` and librdkafka-dev; skipped otherwise). When the mock itself dies
  during a run (librdkafka's own assertions can fire under these faults), the run is stopped
  and tried again on another seed, printed as "(again)"; after 3 such tries it is skipped;
- disk-full: the data directory on a tmpfs of a random size (2-24 MiB) that the run outgrows;
  the run must fail naming the disk; the tmpfs is then grown and `--resume` must finish it
  (needs root);
- damage: a finished run's copy, one random file damaged (bits flipped, a range zeroed, cut
  short, garbage appended); then `verify`, `topics describe` and `simulate --resume` with a
  longer duration (new rows on top of the damaged ones); each must refuse naming the problem
  or end correct. Flips inside a SQLite table's data are outside what SQLite can detect (it
  keeps no page checksums); those are counted apart as "undetectable by SQLite" when `verify`
  and the resume pass them, not hidden among the correct ones.

Prints one line per fault and the table; exits 1 when anything was WRONG.
"""
import argparse
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

from broker_kill import BrokerKill
from power_loss import lose_power

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CONFIG = """simulation: { drivers: 300, duration_seconds: %d, seed: 23 }
topic: { partitions: %d }%s
groups: { fare: { consumers: 2 }, analytics: { consumers: 2 }, support: { consumers: 1 } }
consumer: { batch_size: 1000, linger_ms: 20 }
scenario: []
"""
QUERIES = [
    ("fare.sqlite", "SELECT trip_id, driver_id, started_at, ended_at, distance_km, fare FROM trips ORDER BY trip_id"),
    ("analytics.sqlite", "SELECT event_id, lat, lon, status, ts FROM location_events ORDER BY event_id"),
    ("analytics.sqlite", "SELECT * FROM region_minute_stats ORDER BY region, minute"),
    ("support.sqlite", "SELECT driver_id, lat, lon, status, last_event_id FROM driver_status ORDER BY driver_id"),
    ("support.sqlite", "SELECT trip_id, milestone, event_id FROM trip_timeline ORDER BY trip_id, milestone"),
    ("support.sqlite", "SELECT kind, driver_id, event_id, detail FROM incidents ORDER BY event_id, kind"),
]
TIMEOUT = 600


def rows(directory):
    result = []
    for file, sql in QUERIES:
        path = os.path.join(directory, file)
        if not os.path.exists(path):
            return None
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            result.append(connection.execute(sql).fetchall())
        except sqlite3.DatabaseError as error:
            return f"unreadable: {error}"
        finally:
            connection.close()
    return result


def difference(found, expected):
    """Which business queries differ, with their row counts."""
    if not isinstance(found, list):
        return f"the databases are {found or 'missing'}"
    parts = []
    for (file, sql), got, want in zip(QUERIES, found, expected):
        if got != want:
            table = sql.split(" FROM ")[1].split()[0]
            extra = len(set(got) - set(want))
            missing = len(set(want) - set(got))
            parts.append(f"{file} {table}: {len(got)} rows, {len(want)} expected, {missing} missing, {extra} unexpected")
    return "; ".join(parts)


class Campaign:
    def __init__(self, args):
        self.args = args
        self.random = random.Random(args.seed)
        self.binary = args.binary
        self.work = args.keep or tempfile.mkdtemp(prefix="ridestream-campaign-")
        os.makedirs(self.work, exist_ok=True)
        self.configs = {}
        self.references = {}
        self.table = {}
        self.wrong = 0

    def config(self, seconds, broker="", partitions=3):
        """A configuration file; `broker` adds a broker section (log settings: rows stay the same)."""
        key = (seconds, broker, partitions)
        if key not in self.configs:
            path = os.path.join(self.work, f"config-{seconds}-{len(self.configs)}.yaml")
            with open(path, "w") as file:
                file.write(CONFIG % (seconds, partitions, "\nbroker: { %s }" % broker if broker else ""))
            self.configs[key] = path
        return self.configs[key]

    def simulate_command(self, data, seconds, *extra, broker="", partitions=3):
        return [self.binary, "simulate", "--config", self.config(seconds, broker, partitions), "--data-dir", data, *extra]

    def simulate(self, data, seconds, *extra, timeout=TIMEOUT, broker="", partitions=3):
        command = self.simulate_command(data, seconds, *extra, broker=broker, partitions=partitions)
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout)

    def simulate_beside(self, companion, data, seconds, *extra, timeout=TIMEOUT, partitions=3):
        """`simulate` while `companion` (a process it needs) runs: None, with the run killed, when
        the companion exits first."""
        command = self.simulate_command(data, seconds, *extra, partitions=partitions)
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            def read(file):
                file.seek(0)
                return file.read().decode(errors="replace")
            process = subprocess.Popen(command, stdout=out, stderr=err)
            deadline = time.monotonic() + timeout
            while process.poll() is None:
                if companion.poll() is not None or time.monotonic() > deadline:
                    process.kill()
                    process.wait()
                    if companion.poll() is not None:
                        return None
                    raise subprocess.TimeoutExpired(command, timeout, output=read(out), stderr=read(err))
                time.sleep(0.1)
            return subprocess.CompletedProcess(command, process.returncode, read(out), read(err))

    def reference(self, seconds, partitions=3):
        """The rows of an uninterrupted run on the built-in broker, its wall time and directory."""
        if (seconds, partitions) not in self.references:
            data = os.path.join(self.work, f"reference-{seconds}-{partitions}")
            started = time.monotonic()
            done = self.simulate(data, seconds, partitions=partitions)
            if done.returncode != 0:
                sys.exit(f"the uninterrupted reference run failed: {done.stdout[-2000:]}{done.stderr[-2000:]}")
            self.references[(seconds, partitions)] = (rows(data), time.monotonic() - started, data)
        return self.references[(seconds, partitions)]

    def record(self, kind, outcome, detail):
        counts = self.table.setdefault(kind, {})
        counts[outcome] = counts.get(outcome, 0) + 1
        if outcome in ("WRONG", "FAILED"):
            self.wrong += 1
        print(f"{kind:12} {outcome:24} {detail}", flush=True)

    @staticmethod
    def reason(done):
        text = (done.stderr or "") + (done.stdout or "")
        lines = [line for line in text.splitlines() if line.startswith("error:")]
        return lines[-1] if lines else ""

    def resume_until_done(self, data, seconds, kill_again=False, broker=""):
        """Resumes until exit 0 (at most 4 tries, optionally SIGKILLing the first one)."""
        for attempt in range(4):
            command = [self.binary, "simulate", "--config", self.config(seconds, broker), "--data-dir", data, "--resume"]
            if kill_again and attempt == 0:
                process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                time.sleep(self.random.uniform(0.05, 1.5))
                process.kill()
                process.wait()
                continue
            done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT)
            if done.returncode == 0:
                return done
            if not self.reason(done):
                return done
        return done

    # --- kinds ---

    def kill(self, index):
        expected, wall, _ = self.reference(300)
        data = os.path.join(self.work, f"kill-{index}")
        delay = self.random.uniform(0, 0.15) if index % 5 == 0 else self.random.uniform(0, wall * 1.1)
        process = subprocess.Popen(
            [self.binary, "simulate", "--config", self.config(300), "--data-dir", data],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        if not os.path.exists(data):
            self.record("kill", "correct", f"killed at {delay * 1000:.0f} ms, before it took the directory")
            return
        done = self.resume_until_done(data, 300, kill_again=index % 3 == 0)
        self.judge("kill", done, data, expected, f"killed at {delay * 1000:.0f} ms")
        shutil.rmtree(data, ignore_errors=True)

    def power_loss(self, index):
        expected, wall, _ = self.reference(300)
        data = os.path.join(self.work, f"power-{index}")
        journal = data + ".journal"
        flush = self.random.choice(["flush: never", "flush: never", "flush: interval, flush_ms: 200", "flush: every_append"])
        broker = f"segment_mb: {self.random.choice([1, 1, 2, 8])}, {flush}"
        delay = self.random.uniform(0.05, wall * 1.1)
        environment = dict(os.environ, RIDESTREAM_POWER_LOSS_JOURNAL=journal)
        process = subprocess.Popen(
            [self.binary, "simulate", "--config", self.config(300, broker), "--data-dir", data],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=environment,
        )
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        removed = lose_power(journal)
        detail = f"{broker}, power lost at {delay * 1000:.0f} ms, {removed} unsynced entries gone"
        if not os.path.exists(data):
            self.record("power-loss", "correct", f"{detail}, before it took the directory")
            return
        done = self.resume_until_done(data, 300, broker=broker)
        self.judge("power-loss", done, data, expected, detail)
        shutil.rmtree(data, ignore_errors=True)

    def mock_cluster(self, index):
        # librdkafka's mock cluster can itself die under the faults it is asked for (an assertion
        # in its group coordinator: `rd_kafka_mock_cgrp_member_add: !member->resp`). That judges
        # the mock, not RideStream: the run is stopped and tried again on another seed.
        for attempt in range(3):
            died = self.mock_cluster_once(index, attempt)
            if died is None:
                return
            print(f"{'mock-cluster':12} {'(again)':24} {died}", flush=True)
        self.record("mock-cluster", "skipped", "the mock cluster died in each of 3 tries")

    def mock_cluster_once(self, index, attempt):
        """One run on the mock cluster, recorded; or what ended the mock when it died first."""
        # The mock keeps about 5 MiB per partition and deletes older records (a retention of its
        # own, which the run would rightly report as gaps): 6 partitions of 12,000 events stay under.
        expected, _, _ = self.reference(240, partitions=6)
        tool = self.mock_tool()
        if tool is None:
            self.record("mock-cluster", "skipped", "cannot build mock_cluster.c (cc and librdkafka-dev needed)")
            return None
        data = os.path.join(self.work, f"mock-{index}-{attempt}")
        seed = self.random.randrange(1 << 62)
        output = data + ".mock"
        with open(output, "w") as sink:  # a file, never a pipe that could fill and stall the mock
            mock = subprocess.Popen([tool, str(seed), "driver-locations", "6"], stdin=subprocess.PIPE, stdout=sink,
                                    stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 30
            first = []
            while first[:1] != ["bootstrap"] and time.monotonic() < deadline and mock.poll() is None:
                time.sleep(0.05)
                with open(output) as file:
                    first = file.readline().split()
            if first[:1] != ["bootstrap"]:
                self.record("mock-cluster", "WRONG", f"the mock cluster did not start: {open(output).read()[-300:]}")
                return None
            try:
                done = self.simulate_beside(mock, data, 240, "--bootstrap", first[1], partitions=6)
                if mock.poll() is not None:
                    done = None  # it died while the run was ending: the run's outcome says nothing
            except subprocess.TimeoutExpired as error:
                error.cmd = [f"mock seed {seed}"] + list(error.cmd)
                raise
        finally:
            if mock.poll() is None:
                mock.stdin.close()
                mock.wait(timeout=60)
            with open(output) as file:
                lines = file.read().splitlines()
            faults = [line for line in lines if line.startswith("fault:")]
            os.remove(output)
        if done is None:
            shutil.rmtree(data, ignore_errors=True)
            return f"seed {seed}: the mock cluster exited ({mock.returncode}) during the run: {(lines or [''])[-1][:200]}"
        if "needs cluster mode" in self.reason(done):
            self.record("mock-cluster", "skipped", "this build has no cluster mode (build with --traits KafkaCluster)")
            return None
        if done.returncode != 0 and "UNIQUE constraint failed: location_event_rows.event_key" in self.reason(done):
            # The cluster's log holds an event twice, which the analytics database refuses (an
            # idempotent librdkafka producer can still duplicate a batch while leaders move:
            # confluentinc/librdkafka#4953). Refused with its reason, not wrong; counted apart.
            self.record("mock-cluster", "refused", f"seed {seed}: a record twice in the cluster's log: {self.reason(done)[:200]}")
            shutil.rmtree(data, ignore_errors=True)
            return None
        counts = {name: sum(marker in line for line in faults) for name, marker in
                  (("leader moves", "led by"), ("brokers down", " down"), ("coordinator moves", "coordinated"), ("error pushes", "errors"))}
        detail = f"seed {seed}: " + ", ".join(f"{count} {name}" for name, count in counts.items())
        self.judge("mock-cluster", done, data, expected, detail)
        shutil.rmtree(data, ignore_errors=True)
        return None

    def mock_tool(self):
        """Builds mock_cluster.c once; None when it cannot be built."""
        if not hasattr(self, "_mock_tool"):
            path = os.path.join(self.work, "mock_cluster")
            source = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mock_cluster.c")
            built = subprocess.run(["cc", "-O1", "-o", path, source, "-lrdkafka"], capture_output=True, text=True)
            self._mock_tool = path if built.returncode == 0 else None
        return self._mock_tool

    def broker_kill(self, index):
        outcome, detail = BrokerKill(self, index).run()
        self.record("broker-kill", outcome, detail)

    def disk_full(self, index):
        expected, _, _ = self.reference(300)
        mount = os.path.join(self.work, f"disk-{index}")
        os.makedirs(mount, exist_ok=True)
        size = self.random.randint(2, 24)
        if subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}m", "tmpfs", mount]).returncode != 0:
            self.record("disk-full", "skipped", "cannot mount a tmpfs (needs root)")
            return
        try:
            data = os.path.join(mount, "data")
            first = self.simulate(data, 300)
            if first.returncode == 0:
                outcome = "correct" if rows(data) == expected else "WRONG"
                self.record("disk-full", outcome, f"{size} MiB was enough")
                return
            reason = self.reason(first)
            if "space" not in reason and "full" not in reason:
                self.record("disk-full", "WRONG", f"{size} MiB: failed without naming the disk: {reason or first.stderr[-300:]}")
                return
            subprocess.run(["mount", "-o", "remount,size=600m", mount], check=True)
            done = self.resume_until_done(data, 300)
            self.judge("disk-full", done, data, expected, f"{size} MiB, then room")
        finally:
            subprocess.run(["umount", "-l", mount])
            shutil.rmtree(mount, ignore_errors=True)

    def damage(self, index):
        expected, _, source = self.reference(420)
        self.reference(200)
        base = os.path.join(self.work, "damage-base")
        if not os.path.exists(base):
            done = self.simulate(base, 200)
            if done.returncode != 0:
                sys.exit(f"the run to damage failed: {done.stderr[-2000:]}")
        data = os.path.join(self.work, f"damage-{index}")
        shutil.rmtree(data, ignore_errors=True)
        shutil.copytree(base, data)
        files = sorted(
            os.path.join(directory, name)
            for directory, _, names in os.walk(data) for name in names if name != ".lock" and os.path.getsize(os.path.join(directory, name)) > 0
        )
        target = self.random.choice(files)
        how = self.hurt(target)
        what = f"{os.path.relpath(target, data)}: {how}"
        verified = subprocess.run([self.binary, "verify", "--data-dir", data], capture_output=True, text=True, timeout=TIMEOUT)
        described = subprocess.run([self.binary, "topics", "describe", "--data-dir", data], capture_output=True, text=True, timeout=TIMEOUT)
        if described.returncode not in (0, 1) or (described.returncode == 1 and not self.reason(described)):
            self.record("damage", "WRONG", f"{what}: topics describe exited {described.returncode} without a reason")
            return
        done = self.simulate(data, 420, "--resume")
        found = rows(data)
        if done.returncode != 0:
            outcome = "refused" if self.reason(done) else "WRONG"
            self.record("damage", outcome, f"{what}: {self.reason(done) or done.stderr[-300:]}")
        elif found == expected:
            self.record("damage", "correct", f"{what}; verify exit {verified.returncode}")
        elif target.endswith(".sqlite") and verified.returncode == 0:
            self.record("damage", "undetectable by SQLite", f"{what}: a flip in table data; verify and integrity_check pass it")
        else:
            self.record("damage", "WRONG", f"{what}: resume exited 0 with other rows (verify exit {verified.returncode})")
        shutil.rmtree(data, ignore_errors=True)

    def hurt(self, path):
        size = os.path.getsize(path)
        kind = self.random.choice(["flip", "flip", "zero", "truncate", "garbage"])
        with open(path, "r+b") as file:
            if kind == "flip":
                bits = self.random.randint(1, 16)
                for _ in range(bits):
                    position = self.random.randrange(size)
                    file.seek(position)
                    byte = file.read(1)[0]
                    file.seek(position)
                    file.write(bytes([byte ^ (1 << self.random.randrange(8))]))
                return f"{bits} bits flipped"
            if kind == "zero":
                start = self.random.randrange(size)
                length = min(size - start, self.random.randint(1, 4096))
                file.seek(start)
                file.write(b"\0" * length)
                return f"{length} bytes zeroed at {start}"
            if kind == "truncate":
                cut = self.random.randrange(size)
                file.truncate(cut)
                return f"cut from {size} to {cut} bytes"
            file.seek(0, 2)
            garbage = bytes(self.random.randrange(256) for _ in range(self.random.randint(1, 2048)))
            file.write(garbage)
            return f"{len(garbage)} garbage bytes appended"

    def judge(self, kind, done, data, expected, detail):
        if done.returncode != 0:
            reason = self.reason(done)
            self.record(kind, "FAILED" if reason else "WRONG", f"{detail}: {reason or done.stderr[-300:]}")
            return
        found = rows(data)
        if found == expected:
            self.record(kind, "correct", detail)
            return
        kept = data + ".wrong"
        shutil.rmtree(kept, ignore_errors=True)
        shutil.copytree(data, kept)
        self.args.keep = self.args.keep or self.work  # a wrong result is kept for a look
        self.record(kind, "WRONG", f"{detail}: exit 0 with other rows ({difference(found, expected)}; kept in {kept})")

    def run(self):
        plan = [
            ("kill", self.args.kills), ("broker-kill", self.args.broker_kills), ("disk-full", self.args.disk_full),
            ("damage", self.args.damage), ("power-loss", self.args.power_losses), ("mock-cluster", self.args.mock_clusters),
        ]
        for kind, count in plan:
            for index in range(count):
                try:
                    getattr(self, kind.replace("-", "_"))(index)
                except subprocess.TimeoutExpired as error:
                    def text(value):
                        return value.decode(errors="replace") if isinstance(value, bytes) else (value or "")
                    self.record(kind, "WRONG", f"hung: {error.cmd[:5]}; its output ended:\n{text(error.stdout)[-1500:]}{text(error.stderr)[-2500:]}")
        print()
        outcomes = ["correct", "refused", "undetectable by SQLite", "skipped", "FAILED", "WRONG"]
        print(f"{'kind':12} {'tried':>6} " + " ".join(f"{name:>12}" for name in outcomes))
        for kind, _ in plan:
            counts = self.table.get(kind, {})
            print(f"{kind:12} {sum(counts.values()):>6} " + " ".join(f"{counts.get(name, 0):>12}" for name in outcomes))
        if not self.args.keep:
            shutil.rmtree(self.work, ignore_errors=True)
        return 1 if self.wrong else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--broker-kills", type=int, default=5)
    parser.add_argument("--disk-full", type=int, default=5)
    parser.add_argument("--damage", type=int, default=20)
    parser.add_argument("--power-losses", type=int, default=10)
    parser.add_argument("--mock-clusters", type=int, default=4)
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "ridestream"))
    parser.add_argument("--keep", help="work in this directory and keep it")
    arguments = parser.parse_args()
    if not os.access(arguments.binary, os.X_OK):
        sys.exit(f"no executable at {arguments.binary}: build it first (swift build -c release)")
    sys.exit(Campaign(arguments).run())
