import Broker
import Foundation
import KafkaWire
import LogStore
@testable import RidePipeline
import RideModel
import SQLite
import TestSupport
import Testing

/// `--resume` finds exactly what the log holds, checks it against the seed, and produces only
/// the rest; a log that is not a prefix of this configuration's events is refused.
@Suite(.serialized) struct ResumeTests {
    static func run(_ configuration: PipelineConfiguration, resume: Bool = false) async throws(PipelineError) -> RunSummary {
        var options = RunOptions()
        options.showProgress = false
        options.resume = resume
        options.fresh = !resume
        return try await PipelineRunner(configuration: configuration, options: options).run()
    }

    static func configuration(_ dir: TemporaryDirectory, _ name: String, seconds: Int, seed: UInt64 = 11) -> PipelineConfiguration {
        var configuration = PipelineRunTests.configuration(dir, seed: seed)
        configuration.dataDirectory = dir.file(name)
        configuration.durationSeconds = seconds
        return configuration
    }

    static func expectSameRows(_ directory: String, as reference: String) throws {
        for (file, sql) in CrashResumeTests.businessQueries {
            let expected = try CrashResumeTests.rows(reference + "/" + file, sql)
            #expect(!expected.isEmpty, "\(file): \(sql)")
            #expect(try CrashResumeTests.rows(directory + "/" + file, sql) == expected, "\(file): \(sql)")
        }
    }

    /// Produces the seed's events for `ticks` straight into the run's broker, leaving out those
    /// `drop` selects (a batch lost in the middle of a partition, as an older build could).
    static func produce(_ configuration: PipelineConfiguration, ticks: Int, drop: (Int, Int) -> Bool) async throws {
        let broker = try Broker(configuration: BrokerConfiguration(dataDirectory: configuration.dataDirectory + "/broker"))
        try broker.createTopic(configuration.topic, configuration: TopicConfiguration(partitions: configuration.partitions))
        let producer = Producer(broker: broker)
        let partitioner = RegionPartitioner(table: configuration.partitionTable, partitionCount: configuration.partitions)
        var simulator = Simulator(settings: configuration.simulatorSettings)
        for tick in 0 ..< ticks {
            for event in simulator.step() {
                let key = Array(event.driverId.utf8)
                let partition = partitioner.partition(region: event.region, key: key)
                if drop(tick, partition) { continue }
                try await producer.send(ProducerRecord(
                    topic: configuration.topic, partition: PartitionID(partition), key: key, value: event.json(), timestamp: event.ts
                ))
            }
        }
        try await producer.close()
        try broker.close()
    }

    @Test func resumingAShorterRunEndsWithTheRowsOfTheLongerOne() async throws {
        let dir = TemporaryDirectory("resume-extend")
        defer { dir.remove() }
        let short = try await Self.run(Self.configuration(dir, "run", seconds: 150))
        #expect(short.eventsProduced == 60 * 150)
        let resumed = try await Self.run(Self.configuration(dir, "run", seconds: 420), resume: true)
        #expect(resumed.resumedFrom == 60 * 150)
        #expect(resumed.eventsProduced == 60 * 420)
        _ = try await Self.run(Self.configuration(dir, "reference", seconds: 420))
        try Self.expectSameRows(dir.file("run"), as: dir.file("reference"))
        #expect(try PipelineRunTests.count(dir.file("run/analytics.sqlite"), "SELECT count(DISTINCT event_id) FROM location_events") == 60 * 420)
    }

    @Test func aLogWithAGapInAPartitionIsRefusedBeforeAnythingIsWritten() async throws {
        let dir = TemporaryDirectory("resume-gap")
        defer { dir.remove() }
        let configuration = Self.configuration(dir, "run", seconds: 420)
        // Ticks 40 ..< 45 of partition 1 are missing, later ticks are there: the per-driver
        // highest event would call this log complete up to tick 100.
        try await Self.produce(configuration, ticks: 100) { tick, partition in partition == 1 && (40 ..< 45).contains(tick) }
        let files = { try FileManager.default.contentsOfDirectory(atPath: dir.file("run")).filter { $0 != ".lock" }.sorted() }
        let before = try files()
        do {
            _ = try await Self.run(configuration, resume: true)
            Issue.record("a log with a gap was resumed")
        } catch {
            guard case let .resumeMismatch(_, partition, from, runProduces, _) = error else {
                Issue.record("unexpected error: \(error)")
                return
            }
            #expect(partition == PartitionID(1))
            #expect(runProduces == nil)
            #expect(from.rawValue <= 40 * 20 + 1024, "the first differing block starts near the gap: \(from)")
            #expect(error.description.contains("cannot resume: partition 1 of 'driver-locations'"), "\(error)")
        }
        #expect(try files() == before, "no database was created")
    }

    @Test func aLogOfAnotherSeedOrALongerRunIsRefused() async throws {
        let dir = TemporaryDirectory("resume-seed")
        defer { dir.remove() }
        _ = try await Self.run(Self.configuration(dir, "run", seconds: 200, seed: 11))
        // The settings recorded when the run started refuse another seed before the log is read
        // (after a power loss the log may hold nothing to compare)...
        await #expect {
            _ = try await Self.run(Self.configuration(dir, "run", seconds: 420, seed: 12), resume: true)
        } throws: { error in
            guard case let .resumeSettingsChanged(_, recorded, configured)? = error as? PipelineError else { return false }
            return recorded.contains("seed 11,") && configured.contains("seed 12,")
        }
        // ...and without the record (a run of an older build), the log's records do.
        try FileManager.default.removeItem(atPath: dir.file("run/run-settings"))
        await #expect {
            _ = try await Self.run(Self.configuration(dir, "run", seconds: 420, seed: 12), resume: true)
        } throws: { error in
            guard case let .resumeMismatch(_, partition, from, _, _)? = error as? PipelineError else { return false }
            return partition == PartitionID(0) && from == .zero
        }
        await #expect {
            _ = try await Self.run(Self.configuration(dir, "run", seconds: 100, seed: 11), resume: true)
        } throws: { error in
            guard case let .resumeMismatch(_, _, _, runProduces?, logEnd)? = error as? PipelineError else { return false }
            return runProduces < logEnd
        }
        // Refusals changed nothing: the right settings still resume.
        let resumed = try await Self.run(Self.configuration(dir, "run", seconds: 420, seed: 11), resume: true)
        #expect(resumed.eventsProduced == 60 * 420)
    }

    /// After a power loss emptied the log, the databases still hold the run's rows: a run that
    /// goes on in the directory with other settings is refused before it records them.
    @Test func goingOnWithOtherSettingsIsRefusedEvenWhenTheLogLostEverything() async throws {
        let dir = TemporaryDirectory("resume-settings")
        defer { dir.remove() }
        _ = try await Self.run(Self.configuration(dir, "run", seconds: 150, seed: 11))
        try FileManager.default.removeItem(atPath: dir.file("run/broker"))
        let recorded = try String(contentsOfFile: dir.file("run/run-settings"), encoding: .utf8)
        for resume in [false, true] {
            var options = RunOptions()
            options.showProgress = false
            options.resume = resume
            options.fresh = false
            await #expect {
                _ = try await PipelineRunner(configuration: Self.configuration(dir, "run", seconds: 150, seed: 12), options: options).run()
            } throws: { error in
                guard case .resumeSettingsChanged? = error as? PipelineError else { return false }
                return true
            }
        }
        #expect(try String(contentsOfFile: dir.file("run/run-settings"), encoding: .utf8) == recorded)
    }

    @Test func eventsRetentionDeletedAreCountedAsProducedNotProducedAgain() async throws {
        let dir = TemporaryDirectory("resume-retention")
        defer { dir.remove() }
        var short = Self.configuration(dir, "run", seconds: 200)
        short.log.segmentBytes = 16 << 10
        short.log.retentionBytes = 64 << 10
        short.retentionCheckIntervalMs = 3_600_000  // no pass during the run: the groups read everything first
        _ = try await Self.run(short)
        let broker = try Broker(configuration: BrokerConfiguration(dataDirectory: dir.file("run/broker")))
        #expect(broker.maintain(retention: true).deletedSegments > 0)
        #expect(try broker.bounds(TopicPartition(short.topic, PartitionID(0))).start > .zero)
        try broker.close()

        var long = short
        long.durationSeconds = 420
        let resumed = try await Self.run(long, resume: true)
        #expect(resumed.resumedFrom == 60 * 200)
        #expect(resumed.eventsProduced == 60 * 420)
        var reference = long
        reference.dataDirectory = dir.file("reference")
        _ = try await Self.run(reference)
        try Self.expectSameRows(dir.file("run"), as: dir.file("reference"))
    }

    @Test func aRunKilledBeforeItsTopicWasWholeResumesFromTheStart() async throws {
        let dir = TemporaryDirectory("resume-early")
        defer { dir.remove() }
        let configuration = Self.configuration(dir, "run", seconds: 420)
        // What a kill in the first milliseconds leaves: the broker's directories and half a
        // topic (a partition directory, no topic.json).
        let partial = dir.file("run/broker/topics/\(configuration.topic)/0")
        try FileManager.default.createDirectory(atPath: partial, withIntermediateDirectories: true)
        FileDamage.write(partial + "/00000000000000000000.log", [])
        let resumed = try await Self.run(configuration, resume: true)
        #expect(resumed.resumedFrom == 0)
        #expect(resumed.eventsProduced == 60 * 420)
        _ = try await Self.run(Self.configuration(dir, "reference", seconds: 420))
        try Self.expectSameRows(dir.file("run"), as: dir.file("reference"))

        // A directory no run ever started in is not resumed, and is left as it was: absent.
        await #expect {
            _ = try await Self.run(Self.configuration(dir, "never", seconds: 420), resume: true)
        } throws: { error in
            guard case .nothingToResume? = error as? PipelineError else { return false }
            return "\(error)".contains("no run was started there")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.file("never")))
    }
}
