import Broker
import KafkaWire
import LogStore
import TestSupport
import Synchronization
import Testing

@Suite struct TopicTests {
    @Test func createDescribeListAndReloadAfterRestart() throws {
        let harness = try TestBroker()
        let created = try harness.broker.createTopic(
            "driver-locations", configuration: TopicConfiguration(partitions: 6, retentionBytes: 1 << 30, segmentBytes: 1 << 20)
        )
        #expect(created.partitions.count == 6)
        #expect(harness.broker.topicNames() == ["driver-locations"])
        try harness.restart()
        let reloaded = try harness.broker.describeTopic("driver-locations")
        #expect(reloaded.configuration.partitions == 6)
        #expect(reloaded.configuration.retentionBytes == 1 << 30)
        #expect(reloaded.configuration.segmentBytes == 1 << 20)
    }

    @Test(arguments: ["", ".", "..", "has space", "slash/name", "ünïcode", String(repeating: "x", count: 250)])
    func invalidNamesAreRefused(name: String) throws {
        let harness = try TestBroker()
        let error = #expect(throws: BrokerError.self) { try harness.broker.createTopic(name, configuration: TopicConfiguration()) }
        #expect(error?.code == .invalidTopicException)
        #expect(harness.broker.topicNames().isEmpty)
    }

    @Test func legalNameEdgeCases() throws {
        let harness = try TestBroker()
        for name in ["a", "A.b_c-9", String(repeating: "x", count: 249)] {
            try harness.broker.createTopic(name, configuration: TopicConfiguration())
        }
        #expect(harness.broker.topicNames().count == 3)
    }

    @Test func duplicateAndBadPartitionCounts() throws {
        let harness = try TestBroker()
        try harness.broker.createTopic("t", configuration: TopicConfiguration(partitions: 2))
        #expect(#expect(throws: BrokerError.self) { try harness.broker.createTopic("t", configuration: TopicConfiguration()) }?.code == .topicAlreadyExists)
        #expect(#expect(throws: BrokerError.self) { try harness.broker.createTopic("u", configuration: TopicConfiguration(partitions: 0)) }?.code == .invalidPartitions)
        #expect(#expect(throws: BrokerError.self) { try harness.broker.addPartitions("t", totalCount: 2) }?.code == .invalidPartitions)
    }

    @Test func addPartitionsKeepsDataAndPersists() async throws {
        let harness = try TestBroker()
        try harness.broker.createTopic("t", configuration: TopicConfiguration(partitions: 2))
        let producer = Producer(broker: harness.broker)
        try await producer.send(ProducerRecord(topic: "t", partition: PartitionID(1), value: bytes("kept")))
        try await producer.close()
        try harness.broker.addPartitions("t", totalCount: 5)
        try harness.restart()
        #expect(try harness.broker.partitionCount("t") == 5)
        #expect(try harness.broker.values(TopicPartition("t", PartitionID(1))) == ["kept"])
        #expect(try harness.broker.bounds(TopicPartition("t", PartitionID(4))).end == .zero)
    }

    @Test func deleteRemovesTopicAndData() throws {
        let harness = try TestBroker()
        try harness.broker.createTopic("gone", configuration: TopicConfiguration(partitions: 3))
        // A topic whose name looks like a deleted one's is a topic like any other.
        try harness.broker.createTopic("gone.deleted", configuration: TopicConfiguration(partitions: 1))
        _ = try harness.broker.append(TestBatches.make(4), to: TopicPartition("gone.deleted", PartitionID(0)))
        try harness.broker.deleteTopic("gone")
        #expect(harness.broker.topicNames() == ["gone.deleted"])
        try harness.restart()
        #expect(harness.broker.topicNames() == ["gone.deleted"])
        #expect(try harness.broker.bounds(TopicPartition("gone.deleted", PartitionID(0))).end == Offset(4))
        try harness.broker.deleteTopic("gone.deleted")
        #expect(harness.broker.topicNames().isEmpty)
        #expect(#expect(throws: BrokerError.self) { try harness.broker.deleteTopic("gone") }?.code == .unknownTopicOrPartition)
        // The name can be used again, starting from offset 0.
        try harness.broker.createTopic("gone", configuration: TopicConfiguration())
        #expect(try harness.broker.bounds(TopicPartition("gone", PartitionID(0))).end == .zero)
    }

    @Test func unknownTopicsAndPartitionsAreTypedErrors() async throws {
        let harness = try TestBroker { $0.autoCreateTopics = false }
        try harness.broker.createTopic("t", configuration: TopicConfiguration(partitions: 2))
        let unknownTopic = #expect(throws: BrokerError.self) { try harness.broker.read(TopicPartition("nope", PartitionID(0)), from: .zero, maxBytes: 10) }
        #expect(unknownTopic?.code == .unknownTopicOrPartition)
        #expect(unknownTopic?.message.contains("nope") == true)
        let unknownPartition = #expect(throws: BrokerError.self) { try harness.broker.read(TopicPartition("t", PartitionID(2)), from: .zero, maxBytes: 10) }
        #expect(unknownPartition?.message.contains("no partition 2") == true)
        let producer = Producer(broker: harness.broker)
        await #expect(throws: BrokerError.self) { try await producer.send(ProducerRecord(topic: "nope", value: bytes("x"))) }
        await #expect(throws: BrokerError.self) { try await producer.send(ProducerRecord(topic: "t", partition: PartitionID(9), value: bytes("x"))) }
        let outOfRange = #expect(throws: BrokerError.self) { try harness.broker.read(TopicPartition("t", PartitionID(0)), from: Offset(5), maxBytes: 10) }
        #expect(outOfRange?.code == .offsetOutOfRange)
    }

    @Test func autoCreationUsesTheDefaultPartitionCount() async throws {
        let harness = try TestBroker { $0.defaultPartitions = 3 }
        let producer = Producer(broker: harness.broker)
        try await producer.send(ProducerRecord(topic: "fresh", key: bytes("k"), value: bytes("v")))
        try await producer.close()
        #expect(try harness.broker.partitionCount("fresh") == 3)
    }

    @Test func oversizedBatchIsRefusedAndNothingIsLost() async throws {
        let harness = try TestBroker()
        try harness.broker.createTopic("t", configuration: TopicConfiguration(maxMessageBytes: 4096))
        var configuration = ProducerConfiguration()
        configuration.batchBytes = 64 << 10
        let producer = Producer(broker: harness.broker, configuration: configuration)
        try await producer.send(ProducerRecord(topic: "t", value: bytes("small")))
        try await producer.flush()
        try await producer.send(ProducerRecord(topic: "t", value: [UInt8](repeating: 1, count: 10_000)))
        let error = await #expect(throws: BrokerError.self) { try await producer.flush() }
        #expect(error?.code == .messageTooLarge)
        #expect(error?.message.contains("exceeds the maximum of 4096") == true)
        #expect(try harness.broker.values(TopicPartition("t", PartitionID(0))) == ["small"])
    }

    @Test func afterAFailedBatchTheProducerSendsNothingMoreToThatPartitionAndStops() async throws {
        let harness = try TestBroker()
        try harness.broker.createTopic("t", configuration: TopicConfiguration(partitions: 2, maxMessageBytes: 4096))
        var configuration = ProducerConfiguration()
        configuration.batchBytes = 64 << 10
        let reports = Mutex<[DeliveryReport]>([])
        configuration.onDelivery = { report in reports.withLock { $0.append(report) } }
        let producer = Producer(broker: harness.broker, configuration: configuration)
        let p0 = PartitionID(0)
        try await producer.send(ProducerRecord(topic: "t", partition: p0, value: [UInt8](repeating: 1, count: 10_000)))
        try await producer.send(ProducerRecord(topic: "t", partition: PartitionID(1), value: bytes("other")))
        await #expect(throws: BrokerError.self) { try await producer.flush() }
        // The failure is sticky: later records are refused instead of stored behind the gap.
        let refused = await #expect(throws: BrokerError.self) {
            try await producer.send(ProducerRecord(topic: "t", partition: p0, value: bytes("after")))
        }
        #expect(refused?.code == .messageTooLarge)
        #expect(try harness.broker.values(TopicPartition("t", p0)).isEmpty)
        #expect(try harness.broker.values(TopicPartition("t", PartitionID(1))) == ["other"])
        #expect(reports.withLock { $0.filter { $0.error != nil }.count } == 1)
    }

    @Test func aProtectedTopicCannotBeDeletedOrGrownUntilReleased() throws {
        let harness = try TestBroker()
        try harness.broker.createTopic("run", configuration: TopicConfiguration(partitions: 3))
        harness.broker.protect("run", reason: "a run uses it")
        let deletion = #expect(throws: BrokerError.self) { try harness.broker.deleteTopic("run") }
        #expect(deletion?.code == .policyViolation)
        #expect(deletion?.message == "topic 'run' cannot be deleted: a run uses it")
        #expect(throws: BrokerError.self) { try harness.broker.addPartitions("run", totalCount: 4) }
        #expect(throws: BrokerError.self) { try harness.broker.validateAddPartitions("run", totalCount: 4) }
        #expect(try harness.broker.partitionCount("run") == 3)
        harness.broker.unprotect("run")
        try harness.broker.addPartitions("run", totalCount: 4)
        try harness.broker.deleteTopic("run")
        #expect(!harness.broker.topicNames().contains("run"))
    }
}
