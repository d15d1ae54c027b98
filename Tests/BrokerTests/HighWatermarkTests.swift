import Broker
import KafkaWire
import LogStore
import TestSupport
import Testing

/// Under `flush: every_append` nothing past the synced end is visible through the broker:
/// not to a Fetch, not to ListOffsets, latest or by time.
@Suite struct HighWatermarkTests {
    @Test func recordsWhoseSyncFailedAreInvisibleToFetchAndListOffsets() async throws {
        let root = TemporaryDirectory("high-watermark")
        defer { root.remove() }
        PowerLossSimulation.shared.simulate(root: root.path)
        defer { PowerLossSimulation.shared.release(root: root.path) }
        var configuration = BrokerConfiguration(dataDirectory: root.file("broker"))
        configuration.log.flush = .everyAppend
        let broker = try Broker(configuration: configuration)
        _ = try broker.createTopic("t", configuration: TopicConfiguration(partitions: 1))
        let id = TopicPartition("t", PartitionID(0))
        let start: Int64 = 1_700_000_000_000
        for index in 0 ..< 3 { _ = try broker.append(TestBatches.make(10, prefix: "b\(index)", timestamp: start + Int64(index) * 1000), to: id) }
        PowerLossSimulation.shared.failSyncs(root: root.path)
        #expect(throws: BrokerError.self) { try broker.append(TestBatches.make(10, prefix: "lost", timestamp: start + 3000), to: id) }

        #expect(try broker.bounds(id).end == Offset(40))
        #expect(try broker.listOffset(id, .latest) == Offset(30))
        #expect(try broker.firstRecord(id, atOrAfterTimestamp: start + 3000) == nil)
        #expect(try broker.firstRecord(id, atOrAfterTimestamp: start + 2000)?.offset == Offset(20))
        let fetched = await broker.fetch([FetchRequest(id, offset: .zero)], maxWaitMs: 0)
        #expect(fetched.first?.highWatermark == Offset(30))
        #expect(try RecordSet.decode(fetched.first?.bytes ?? [], from: .zero).last?.offset == Offset(29))
        try? broker.close()
    }
}
