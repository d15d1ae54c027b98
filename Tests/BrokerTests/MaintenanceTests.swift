import Broker
import Foundation
import KafkaWire
import LogStore
import TestSupport
import Testing

/// The broker's periodic work on a manual clock: what `maintain` does and when the schedule
/// calls it.
@Suite struct BrokerMaintenanceTests {
    @Test func theScheduleRunsRetentionEveryIntervalAndWakesForFlushDeadlines() {
        var schedule = MaintenanceSchedule(start: 1_000, retentionCheckMs: 300_000, flushIntervalMs: nil)
        let atStart = schedule.retentionDue(at: 1_000)
        #expect(!atStart, "the first pass comes one interval after start")
        #expect(schedule.nextWake(after: 1_000, flushDeadline: nil) == 301_000)
        let onTime = schedule.retentionDue(at: 301_000)
        let justAfter = schedule.retentionDue(at: 301_001)
        #expect(onTime && !justAfter)
        #expect(schedule.nextWake(after: 301_001, flushDeadline: 302_000) == 302_000, "a log's flush deadline comes first")

        let timed = MaintenanceSchedule(start: 0, retentionCheckMs: 300_000, flushIntervalMs: 1000)
        #expect(timed.flushCheckMs == 250)
        #expect(timed.nextWake(after: 10, flushDeadline: nil) == 260, "looks for new deadlines every quarter interval")
        #expect(timed.nextWake(after: 10, flushDeadline: 5) == 10, "never in the past")
    }

    @Test func maintainFlushesOnTimeRollsByAgeAndDeletesBehindRetention() throws {
        let clock = ManualClock()
        let harness = try TestBroker(clock: clock) { configuration in
            configuration.log.flush = .interval(records: nil, milliseconds: 1000)
            configuration.log.segmentBytes = 2048
            configuration.log.segmentMilliseconds = 600_000
            configuration.log.retentionMilliseconds = 3_600_000
        }
        let broker = harness.broker
        try broker.createTopic("t", configuration: TopicConfiguration(partitions: 2))
        let id = TopicPartition("t", PartitionID(0))
        for _ in 0 ..< 8 { _ = try broker.append(TestBatches.make(10, timestamp: clock.milliseconds(), valueSize: 100), to: id) }
        #expect(broker.nextFlushDeadline != nil)
        clock.advance(by: 999)
        #expect(broker.maintain(retention: false).flushedLogs == 0)
        clock.advance(by: 1)
        #expect(broker.maintain(retention: false).flushedLogs == 1, "partition 0 synced on time; partition 1 has nothing")
        #expect(broker.nextFlushDeadline == nil)

        clock.advance(by: 600_000)
        let rolled = broker.maintain(retention: true)
        #expect(rolled.rolledSegments == 1, "partition 0's active segment aged out; partition 1's is empty")
        #expect(rolled.deletedSegments == 0)
        #expect(try broker.listOffset(id, .earliest) == Offset(0))

        clock.advance(by: 3_600_000)
        let deleted = broker.maintain(retention: true)
        #expect(deleted.deletedSegments > 0 && deleted.failures.isEmpty)
        #expect(try broker.listOffset(id, .earliest) == Offset(80), "ListOffsets earliest moved to the log start")
        #expect(try broker.describeTopic("t").partitions[0].oldestSegment.baseOffset == Offset(80))
    }

    /// A partition that cannot close does not keep the others from their clean-shutdown
    /// marker, and the error names it.
    @Test func closeClosesEveryPartitionAndReportsEveryFailure() throws {
        let dir = TemporaryDirectory("broker")
        defer { dir.remove() }
        let broker = try Broker(configuration: BrokerConfiguration(dataDirectory: dir.path))
        try broker.createTopic("t", configuration: TopicConfiguration(partitions: 3))
        for partition in 0 ..< 3 { _ = try broker.append(TestBatches.make(2), to: TopicPartition("t", PartitionID(partition))) }
        try FileManager.default.removeItem(atPath: dir.file("topics/t/1"))
        let error = #expect(throws: BrokerError.self) { try broker.close() }
        #expect(error?.message.contains("t-1") == true, "\(String(describing: error))")
        #expect(FileManager.default.fileExists(atPath: dir.file("topics/t/0/.clean-shutdown")))
        #expect(FileManager.default.fileExists(atPath: dir.file("topics/t/2/.clean-shutdown")))
        let reopened = try Broker(configuration: BrokerConfiguration(dataDirectory: dir.path))
        #expect(try reopened.bounds(TopicPartition("t", PartitionID(2))).end == Offset(2))
        try? reopened.close()
    }

    /// A producer whose sender queue is full suspends (a thread is never blocked) and goes on
    /// once the sender has stored enough; nothing is lost or reordered.
    @Test func aFullProducerSuspendsAndLosesNothing() async throws {
        let harness = try TestBroker()
        try harness.broker.createTopic("t", configuration: TopicConfiguration(partitions: 1))
        var configuration = ProducerConfiguration()
        configuration.batchBytes = 1024
        configuration.maxQueuedBytes = 2048
        let producer = Producer(broker: harness.broker, configuration: configuration)
        for index in 0 ..< 5000 {
            try await producer.send(ProducerRecord(topic: "t", partition: PartitionID(0), value: bytes("value-\(index)")))
        }
        try await producer.close()
        #expect(try harness.broker.values(TopicPartition("t", PartitionID(0))) == (0 ..< 5000).map { "value-\($0)" })
    }
}
