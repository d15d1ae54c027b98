import Broker
import KafkaWire
import LogStore
import TestSupport
import Foundation
import Testing

@Suite struct ProduceFetchTests {
    @Test func keyedRecordsLandWhereKafkasJavaClientPutsThem() async throws {
        let harness = try TestBroker()
        try harness.broker.createTopic("t", configuration: TopicConfiguration(partitions: 7))
        let lock = NSLockBox()
        let collected = ReportBox()
        var configuration = ProducerConfiguration()
        configuration.onDelivery = { report in lock.run { collected.reports.append(report) } }
        let producer = Producer(broker: harness.broker, configuration: configuration)
        let keys = (0 ..< 200).map { "driver-\($0)" }
        for key in keys { try await producer.send(ProducerRecord(topic: "t", key: bytes(key), value: bytes(key))) }
        try await producer.close()
        for partition in 0 ..< 7 {
            let id = TopicPartition("t", PartitionID(partition))
            for value in try harness.broker.values(id) {
                #expect(Murmur2.partition(forKey: bytes(value), partitionCount: 7) == id.partition)
            }
        }
        lock.run {
            let reports = collected.reports
            #expect(reports.allSatisfy { $0.error == nil && $0.baseOffset != nil })
            #expect(reports.reduce(0) { $0 + $1.recordCount } == 200)
        }
    }

    @Test func tablePartitionerRoutesByHeaderAndSpreadsWithinARegion() async throws {
        let harness = try TestBroker()
        try harness.broker.createTopic("t", configuration: TopicConfiguration(partitions: 4))
        var configuration = ProducerConfiguration()
        configuration.partitioner = .table(PartitionTable(
            source: .header("region"),
            partitions: ["north": [PartitionID(0)], "south": [PartitionID(1), PartitionID(2)]]
        ))
        let producer = Producer(broker: harness.broker, configuration: configuration)
        for index in 0 ..< 100 {
            let region = index % 2 == 0 ? "north" : "south"
            try await producer.send(ProducerRecord(
                topic: "t", key: bytes("driver-\(index)"), value: bytes("\(region)-\(index)"),
                headers: [RecordHeader(key: "region", value: bytes(region))]
            ))
            // The same driver again: must land in the same partition.
            try await producer.send(ProducerRecord(
                topic: "t", key: bytes("driver-\(index)"), value: bytes("\(region)-\(index)"),
                headers: [RecordHeader(key: "region", value: bytes(region))]
            ))
        }
        try await producer.close()
        let p0 = try harness.broker.values(TopicPartition("t", PartitionID(0)))
        let p1 = try harness.broker.values(TopicPartition("t", PartitionID(1)))
        let p2 = try harness.broker.values(TopicPartition("t", PartitionID(2)))
        #expect(p0.count == 100 && p0.allSatisfy { $0.hasPrefix("north") })
        #expect(!p1.isEmpty && !p2.isEmpty, "a region with two partitions uses both")
        #expect(p1.count + p2.count == 100)
        #expect(Set(p1).isDisjoint(with: Set(p2)), "one driver stays in one partition")
        #expect(try harness.broker.bounds(TopicPartition("t", PartitionID(3))).end == .zero)
    }

    @Test func roundRobinAndStickySpreadKeylessRecords() async throws {
        let harness = try TestBroker()
        try harness.broker.createTopic("rr", configuration: TopicConfiguration(partitions: 3))
        var configuration = ProducerConfiguration()
        configuration.partitioner = .roundRobin
        let producer = Producer(broker: harness.broker, configuration: configuration)
        for index in 0 ..< 30 { try await producer.send(ProducerRecord(topic: "rr", value: bytes("\(index)"))) }
        try await producer.close()
        for partition in 0 ..< 3 {
            #expect(try harness.broker.bounds(TopicPartition("rr", PartitionID(partition))).end == Offset(10))
        }

        try harness.broker.createTopic("sticky", configuration: TopicConfiguration(partitions: 3))
        var stickyConfiguration = ProducerConfiguration()
        stickyConfiguration.batchBytes = 1024
        let sticky = Producer(broker: harness.broker, configuration: stickyConfiguration)
        for _ in 0 ..< 300 { try await sticky.send(ProducerRecord(topic: "sticky", value: [UInt8](repeating: 7, count: 50))) }
        try await sticky.close()
        let used = try (0 ..< 3).filter { try harness.broker.bounds(TopicPartition("sticky", PartitionID($0))).end > .zero }
        #expect(used.count >= 2, "sticky moves on after each full batch")
    }

    @Test func lingerSendsPartialBatches() async throws {
        let harness = try TestBroker()
        try harness.broker.createTopic("t", configuration: TopicConfiguration())
        var configuration = ProducerConfiguration()
        configuration.lingerMs = 1
        let producer = Producer(broker: harness.broker, configuration: configuration)
        try await producer.send(ProducerRecord(topic: "t", value: bytes("lonely")))
        let id = TopicPartition("t", PartitionID(0))
        let results = await harness.broker.fetch([FetchRequest(id, offset: .zero)], maxWaitMs: 10_000)
        #expect(try TestBatches.values(results[0].bytes) == ["lonely"])
        try await producer.close()
    }

    @Test func longPollIsWokenByAnAppend() async throws {
        let harness = try TestBroker()
        try harness.broker.createTopic("t", configuration: TopicConfiguration(partitions: 2))
        let id = TopicPartition("t", PartitionID(1))
        let broker = harness.broker
        async let fetched = broker.fetch(
            [FetchRequest(TopicPartition("t", PartitionID(0)), offset: .zero), FetchRequest(id, offset: .zero)],
            maxWaitMs: 60_000
        )
        try await Task.sleep(for: .milliseconds(20))
        _ = try broker.append(TestBatches.make(2, prefix: "late"), to: id)
        let results = await fetched
        #expect(results.count == 2, "every requested partition is answered")
        #expect(results[0].bytes.isEmpty)
        #expect(try TestBatches.values(results[1].bytes) == ["late-0", "late-1"])
        #expect(results[1].highWatermark == Offset(2))
    }

    @Test func longPollReturnsEmptyAtItsDeadline() async throws {
        let harness = try TestBroker()
        try harness.broker.createTopic("t", configuration: TopicConfiguration())
        let results = await harness.broker.fetch([FetchRequest(TopicPartition("t", PartitionID(0)), offset: .zero)], maxWaitMs: 5)
        #expect(results[0].bytes.isEmpty)
        #expect(results[0].error == nil)
    }

    @Test func cancellationEndsALongPoll() async throws {
        let harness = try TestBroker()
        try harness.broker.createTopic("t", configuration: TopicConfiguration())
        let broker = harness.broker
        let task = Task { await broker.fetch([FetchRequest(TopicPartition("t", PartitionID(0)), offset: .zero)], maxWaitMs: 600_000) }
        try await Task.sleep(for: .milliseconds(10))
        task.cancel()
        let results = await task.value
        #expect(results[0].bytes.isEmpty)
    }

    @Test func listOffsetsEarliestLatestAndByTime() throws {
        let harness = try TestBroker()
        try harness.broker.createTopic("t", configuration: TopicConfiguration())
        let id = TopicPartition("t", PartitionID(0))
        _ = try harness.broker.append(TestBatches.make(5, timestamp: 1_000), to: id)
        _ = try harness.broker.append(TestBatches.make(5, timestamp: 2_000), to: id)
        #expect(try harness.broker.listOffset(id, .earliest) == .zero)
        #expect(try harness.broker.listOffset(id, .latest) == Offset(10))
        #expect(try harness.broker.listOffset(id, .timestamp(1_003)) == Offset(3))
        #expect(try harness.broker.listOffset(id, .timestamp(1_500)) == Offset(5))
        #expect(try harness.broker.listOffset(id, .timestamp(9_999)) == Offset(10))
    }
}

/// A tiny lock for collecting callback results in tests.
final class NSLockBox: @unchecked Sendable {
    private let lock = NSLock()
    func run<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }
}

final class ReportBox: @unchecked Sendable {
    var reports: [DeliveryReport] = []
}
