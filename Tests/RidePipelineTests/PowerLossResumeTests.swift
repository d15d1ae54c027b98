import Broker
import Foundation
import KafkaWire
import LogStore
@testable import RidePipeline
import TestSupport
import Testing

/// A power loss during a run with `flush: never`: the log keeps only what was fsynced (its
/// segments up to the last roll; here, with one segment per partition, nothing) while the
/// databases, which SQLite synced, are ahead of it.
/// `--resume` writes the lost tail again from the seed and the databases end with the rows of
/// an uninterrupted run.
@Suite(.serialized) struct PowerLossResumeTests {
    static func writeConfig(_ dir: TemporaryDirectory) -> String {
        let path = dir.file("power.yaml")
        let yaml = """
            simulation: { drivers: 300, duration_seconds: 500, seed: 29 }
            topic: { partitions: 3 }
            broker: { flush: never }
            groups: { fare: { consumers: 2 }, analytics: { consumers: 1 }, support: { consumers: 1 } }
            consumer: { batch_size: 500, linger_ms: 20 }
            scenario: []
            """
        FileDamage.write(path, Array(yaml.utf8))
        return path
    }

    @Test func resumeAfterAPowerLossRepairsTheLostTailBehindDatabasesThatAreAhead() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: CrashResumeTests.binary), "build the executable first")
        let dir = TemporaryDirectory("power-loss-run")
        defer { dir.remove() }
        let config = Self.writeConfig(dir)
        let data = dir.file("lost")
        let journal = dir.file("power.journal")
        let first = try ChildProcess(
            CrashResumeTests.binary, ["simulate", "--config", config, "--data-dir", data], environment: ["RIDESTREAM_POWER_LOSS_JOURNAL": journal]
        )
        let killed = await first.signal(SIGKILL, when: { CrashResumeTests.storedEvents(data + "/analytics.sqlite") >= 30_000 })
        let firstExit = await first.exit()
        try #require(killed && firstExit.signalled, "the run ended before the power loss: \(firstExit.output.suffix(2000))")
        _ = try PowerLossSimulation.applyJournal(journal)

        // What survived: per partition the prefix synced by the last roll, behind the databases.
        let stored = CrashResumeTests.storedEvents(data + "/analytics.sqlite")
        let inLog = try Self.logEvents(data)
        #expect(inLog < stored, "the log kept \(inLog) events, the database \(stored): nothing for the resume to repair")

        let resumed = try await ChildProcess(CrashResumeTests.binary, ["simulate", "--config", config, "--data-dir", data, "--resume"]).exit()
        #expect(resumed.status == 0, "\(resumed.output.suffix(3000))")
        #expect(resumed.output.contains("ahead of the log"), "\(resumed.output.suffix(3000))")

        let reference = try await CrashResumeTests.referenceRun(config, in: dir.file("reference"))
        #expect(CrashResumeTests.storedEvents(data + "/analytics.sqlite") == Int64(reference.eventsProduced))
        try ResumeTests.expectSameRows(data, as: dir.file("reference"))
    }

    /// Databases of a longer run over the log of a shorter one: once the resumed producer is
    /// done the databases are still ahead, and the run fails instead of ending with their rows.
    @Test func databasesStillAheadWhenProductionEndsFailTheRun() async throws {
        let dir = TemporaryDirectory("ahead-at-end")
        defer { dir.remove() }
        _ = try await ResumeTests.run(ResumeTests.configuration(dir, "long", seconds: 300))
        _ = try await ResumeTests.run(ResumeTests.configuration(dir, "short", seconds: 150))
        for group in GroupName.allCases {
            for suffix in ["", "-wal", "-shm"] {
                let name = group.databaseFile + suffix
                try? FileManager.default.removeItem(atPath: dir.file("short/\(name)"))
                try? FileManager.default.copyItem(atPath: dir.file("long/\(name)"), toPath: dir.file("short/\(name)"))
            }
        }
        let failure = await #expect(throws: PipelineError.self) {
            _ = try await ResumeTests.run(ResumeTests.configuration(dir, "short", seconds: 150), resume: true)
        }
        #expect(failure?.description.contains("the log lost events the database has") == true, "\(String(describing: failure))")
    }

    /// Events in the built-in broker's log of a data directory, read only.
    static func logEvents(_ data: String) throws -> Int64 {
        var configuration = BrokerConfiguration(dataDirectory: data + "/broker")
        configuration.readOnly = true
        let broker = try Broker(configuration: configuration)
        defer { try? broker.close() }
        return try (0 ..< 3).reduce(Int64(0)) { sum, partition in
            sum + (try broker.listOffset(TopicPartition("driver-locations", PartitionID(partition)), .latest)).rawValue
        }
    }
}
