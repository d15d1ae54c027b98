import Foundation
import KafkaWire
@testable import RidePipeline
import Synchronization
import TestSupport
import Testing

/// The data directory's one owner.
@Suite struct DataDirectoryTests {
    @Test func aHeldDirectoryIsRefusedNamingItsHolder() throws {
        let dir = TemporaryDirectory("data")
        defer { dir.remove() }
        let holder = DirectoryHolder(pid: getpid(), command: "ridestream simulate --serve", startedAt: "2026-12-01T10:00:00Z", kafkaAddress: nil)
        let held = try DataDirectory.acquire(dir.path, access: .exclusive, holder: holder)
        held.announce(kafkaAddress: "127.0.0.1:9092")
        for access in [DataDirectory.Access.exclusive, .shared] {
            let error = #expect(throws: DataDirectoryError.self) { try DataDirectory.acquire(dir.path, access: access) }
            guard case let .held(path, holders)? = error else {
            Issue.record("expected .held, got \(String(describing: error))")
            return
        }
            #expect(path == dir.path)
            #expect(holders.map(\.command) == ["ridestream simulate --serve"])
            #expect(error?.holderKafkaAddress == "127.0.0.1:9092")
            #expect(error?.description.contains("`ridestream simulate --serve` (pid \(getpid()), since 2026-12-01T10:00:00Z, Kafka port 127.0.0.1:9092)") == true)
        }
        held.release()
        let again = try DataDirectory.acquire(dir.path, access: .exclusive)
        #expect(!again.created)
        again.release()
    }

    @Test func sharedHoldersCoexistAndKeepAnExclusiveOneOut() throws {
        let dir = TemporaryDirectory("data")
        defer { dir.remove() }
        let first = try DataDirectory.acquire(dir.path, access: .shared)
        let second = try DataDirectory.acquire(dir.path, access: .shared)
        let error = #expect(throws: DataDirectoryError.self) { try DataDirectory.acquire(dir.path, access: .exclusive) }
        guard case let .held(_, holders)? = error else {
            Issue.record("expected .held")
            return
        }
        #expect(holders.map(\.pid) == [getpid()], "found in the kernel's lock table, once per process")
        first.release()
        second.release()
        _ = try DataDirectory.acquire(dir.path, access: .exclusive)
    }

    @Test func aFreshRunRemovesOnlyThePreviousRunsOutputs() throws {
        let dir = TemporaryDirectory("data")
        defer { dir.remove() }
        for name in ["fare.sqlite", "fare.sqlite-wal", "analytics.sqlite", "notes.txt"] { FileDamage.write(dir.file(name), [1]) }
        try FileManager.default.createDirectory(atPath: dir.file("broker/topics"), withIntermediateDirectories: true)
        let held = try DataDirectory.acquire(dir.path, access: .exclusive)
        #expect(try held.removePreviousRun() == ["fare.sqlite", "analytics.sqlite", "broker/"])
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: dir.path)) == [".lock", "notes.txt"])
    }

    /// Two `consume` processes start in a new directory; the one that fails to start must not
    /// remove it from under the other.
    @Test func aSharedHolderNeverRemovesADirectorySomeoneElseHolds() throws {
        let dir = TemporaryDirectory("data")
        defer { dir.remove() }
        let first = try DataDirectory.acquire(dir.file("new"), access: .shared)
        let second = try DataDirectory.acquire(dir.file("new"), access: .shared)
        #expect(first.created)
        FileDamage.write(dir.file("new/fare.sqlite"), [1])
        first.discardIfCreated()
        #expect(FileManager.default.fileExists(atPath: dir.file("new/fare.sqlite")))
        second.release()
        let alone = try DataDirectory.acquire(dir.file("lonely"), access: .shared)
        alone.discardIfCreated()
        #expect(!FileManager.default.fileExists(atPath: dir.file("lonely")), "alone and empty: removed")
    }

    @Test func aFailedStartRemovesOnlyADirectoryItCreated() throws {
        let dir = TemporaryDirectory("data")
        defer { dir.remove() }
        let made = try DataDirectory.acquire(dir.file("new/data"), access: .exclusive)
        #expect(made.created)
        made.discardIfCreated()
        #expect(!FileManager.default.fileExists(atPath: dir.file("new/data")))
        let existing = try DataDirectory.acquire(dir.path, access: .exclusive)
        existing.discardIfCreated()
        #expect(FileManager.default.fileExists(atPath: dir.path))
        FileDamage.write(dir.file("file"), [1])
        let error = #expect(throws: DataDirectoryError.self) { try DataDirectory.acquire(dir.file("file"), access: .exclusive) }
        #expect(error?.description.contains("it is a file") == true)
    }
}

/// The scenario, checked before a run.
@Suite struct ScenarioPlanTests {
    static func configuration(fare: Int, duration: Int = 600, _ steps: [(Int, ScenarioStep.Action)]) -> PipelineConfiguration {
        var configuration = PipelineConfiguration()
        configuration.consumers[.fare] = fare
        configuration.durationSeconds = duration
        configuration.scenario = steps.enumerated().map { ScenarioStep(atSeconds: $1.0, action: $1.1, group: .fare, line: 70 + $0) }
        return configuration
    }

    @Test func aStepThatWouldLeaveAGroupWithNoConsumerIsRefusedNamingIt() {
        let lone = Self.configuration(fare: 1, [(300, .crashConsumer)])
        let error = #expect(throws: ConfigError.self) {
            try ScenarioPlan.make(lone, file: "Config/ridestream.yaml") { _ in "--consumers fare=1" }
        }
        #expect(error?.description == "Config/ridestream.yaml:70: scenario[0]: crash_consumer fare at 300 s would leave group fare with no running consumer (it has 1 then; --consumers fare=1 gives 1); add consumers or remove the step")
        // One added before, or a second consumer, makes it fine.
        #expect(throws: Never.self) { try ScenarioPlan.make(Self.configuration(fare: 1, [(100, .addConsumer), (300, .crashConsumer)]), file: "f") }
        #expect(throws: ConfigError.self) {
            try ScenarioPlan.make(Self.configuration(fare: 2, [(100, .removeConsumer), (300, .crashConsumer)]), file: "f")
        }
    }

    @Test func stepsAfterTheRunsEndAreSkippedNotChecked() throws {
        let plan = try ScenarioPlan.make(Self.configuration(fare: 1, duration: 300, [(299, .addConsumer), (300, .crashConsumer), (400, .crashConsumer)]), file: "f")
        #expect(plan.steps.map(\.atSeconds) == [299])
        #expect(plan.skipped.map(\.atSeconds) == [300, 400], "the last tick starts at 299 s")
        #expect(plan.skippedLines(durationSeconds: 300).first == "scenario: crash_consumer fare at 300 s is after the run's end (300 s) and is skipped")
    }
}

/// The one owner of the terminal.
@Suite struct TerminalTests {
    /// What a terminal was sent, stream by stream.
    final class Screen: Sendable {
        let text = Mutex("")
        func write(_ stream: Terminal.Stream, _ part: String) { text.withLock { $0 += part } }
    }

    @Test func aLinePrintedUnderTheStatusClearsItFirstAndRedrawsIt() {
        let screen = Screen()
        let terminal = Terminal(interactive: true, write: screen.write, width: { 40 })
        terminal.status([["tick 5/600", "produced 5000", "fare 4000 stored, lag 1000"]])
        terminal.line("scenario at 200 s: added support-2")
        terminal.endStatus()
        terminal.line("== summary")
        #expect(screen.text.withLock { $0 } == "\r\u{1B}[Ktick 5/600 | produced 5000"
            + "\r\u{1B}[Kscenario at 200 s: added support-2\ntick 5/600 | produced 5000"
            + "\n== summary\n")
    }

    @Test func theStatusShowsTheFirstVariantThatFitsAndNeverWraps() {
        let screen = Screen()
        let terminal = Terminal(interactive: true, write: screen.write, width: { 30 })
        terminal.status([["producing: tick 5/600", "5000 events"], ["tick 5/600", "5000"]])
        #expect(screen.text.withLock { $0 } == "\r\u{1B}[Ktick 5/600 | 5000")
        #expect(Terminal.fit(["a very long first part that cannot fit"], width: 10) == "a very lon")
        let plain = Screen()
        let pipe = Terminal(interactive: false, write: plain.write)
        pipe.status([["never drawn"]])
        pipe.line("a line")
        #expect(plain.text.withLock { $0 } == "a line\n")
    }
}

/// The end-of-run summary's columns are sized from their content.
@Suite struct SummaryTextTests {
    @Test func noIdPartitionListOrRegionIsCut() {
        let consumer = RunSummary.Consumer(
            id: "fare@a-very-long-host-name:12345-1", partitions: Array(0 ..< 12), records: 600_000, transactions: 130, idle: false,
            state: .running, commitFailures: 0
        )
        let idle = RunSummary.Consumer(id: "fare-2", partitions: [], records: 0, transactions: 0, idle: true, state: .running, commitFailures: 3)
        let summary = RunSummary(
            eventsProduced: 600_000, resumedFrom: 0, eventsPerPartition: [300_000, 300_000], partitionRegions: ["electronic-city+koramangala", "hebbal"],
            simulatedSeconds: 600, stoppedEarly: false, wallSeconds: 10, eventsPerSecond: 60_000,
            groups: ["fare": RunSummary.Group(
                database: "Data/fare.sqlite", consumers: [consumer, idle], events: 600_000, transactions: 130, rebalances: 2, generation: 2,
                commitFailures: 3, gaps: [LogGap(partition: 1, from: 0, to: 1200, consumer: "fare-1")]
            )],
            scenario: [], skippedSteps: ["crash_consumer fare at 700 s"]
        )
        let text = summary.text(topic: "driver-locations")
        #expect(text.contains("electronic-city+koramangala"))
        #expect(text.contains("fare@a-very-long-host-name:12345-1  partitions  0,1,2,3,4,5,6,7,8,9,10,11  600000  records,  130  transactions"))
        #expect(text.contains("fare-2                              partitions  -                               0  records,    0  transactions  IDLE: more consumers than partitions; 3 offset commits to the log refused"))
        #expect(text.contains("GAP: partition 1 offsets 0..<1200 (1200 events) were deleted from the log (by retention or DeleteRecords) before this group stored them"))
        #expect(text.contains("skipped (after the run's end): crash_consumer fare at 700 s"))
    }
}
