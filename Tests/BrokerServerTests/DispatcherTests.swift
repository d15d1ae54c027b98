import Broker
import BrokerServer
import Groups
import KafkaWire
import LogStore
import TestSupport
import Testing

/// The Kafka-protocol dispatcher fed with requests captured from kcat, confluent-kafka and
/// kafka-python, and with broken ones. No sockets: frames in, frames out.
@Suite struct DispatcherTests {
    let dir = TemporaryDirectory("dispatcher")
    let broker: Broker
    let dispatcher: RequestDispatcher

    /// The broker that served the kafka-python capture opened at this time, so the first
    /// producer id it hands out is the one in `kafkaPythonIdempotentProduce`.
    static let captureTime: Int64 = 1_795_608_010_315

    init() throws {
        var configuration = BrokerConfiguration(dataDirectory: dir.path)
        configuration.groups.initialRebalanceDelayMs = 0
        broker = try Broker(configuration: configuration, clock: ManualClock(Self.captureTime))
        var server = ServerConfiguration()
        server.host = "127.0.0.1"
        dispatcher = RequestDispatcher(broker: broker, configuration: server)
    }

    /// The response body to a request given in hex, after checking the frame's size and
    /// correlation id.
    func answer(_ hex: String) async throws -> [UInt8] {
        let request = fromHex(hex)
        let response = try #require(try await dispatcher.handle(request))
        let header = try RequestHeader.minimal(of: request)
        let size = Int(try response.withRawBytes { (raw) throws(WireError) in var reader = ByteReader(raw); return try reader.readInt32() })
        #expect(size == response.count - 4)
        #expect(Array(response[4 ..< 8]) == withBigEndian(header.correlationID))
        return Array(response[8...])
    }

    func withBigEndian(_ value: Int32) -> [UInt8] {
        var writer = ByteWriter()
        writer.write(value)
        return writer.take()
    }

    @Test func everyClientsFirstApiVersionsGetsTheFallback() async throws {
        let fallback = fromHex("0023 00000001 0012 0000 0002")
        for request in [CapturedRequests.kcatApiVersions, CapturedRequests.confluentApiVersions, CapturedRequests.kafkaPythonApiVersions] {
            #expect(try await answer(request) == fallback)
        }
    }

    @Test func kcatListsAndProduces() async throws {
        let metadata = try await answer(CapturedRequests.kcatMetadata)
        // One broker: node 1 at 127.0.0.1, then the rack (null) and the cluster id.
        #expect(hexString(Array(metadata.prefix(4 + 4 + 4 + 2 + 9))) == "00000000" + "00000001" + "00000001" + "0009" + hexString(Array("127.0.0.1".utf8)))
        let produce = try await answer(CapturedRequests.kcatProduce)
        // v7: topic "cap", partition 0, no error, base offset 0, log append time -1, log start 0, throttle 0.
        #expect(hexString(produce) == "00000001" + "0003" + hexString(Array("cap".utf8)) + "00000001" + "00000000" + "0000"
            + "0000000000000000" + "ffffffffffffffff" + "0000000000000000" + "00000000")
        let read = try broker.read(TopicPartition("cap", PartitionID(0)), from: .zero, maxBytes: 1 << 20)
        #expect(try TestBatches.values(read.bytes) == ["hello", "world"])
    }

    @Test func confluentCreatesATopicAndProducesToIt() async throws {
        let created = try await answer(CapturedRequests.confluentCreateTopics)
        #expect(hexString(created) == "00000000" + "00000001" + "0008" + hexString(Array("cf-topic".utf8)) + "0000" + "ffff")
        #expect(try broker.partitionCount("cf-topic") == 2)
        let again = try await answer(CapturedRequests.confluentCreateTopics)
        #expect(Array(again[18 ..< 20]) == [0, 36], "TOPIC_ALREADY_EXISTS")
        #expect(String(decoding: again[22...], as: UTF8.self) == "topic 'cf-topic' already exists")
        let produced = try await answer(CapturedRequests.confluentProduce)
        #expect(Array(produced[18 ..< 20]) == [0, 0])
        #expect(try broker.bounds(TopicPartition("cf-topic", PartitionID(1))).end == Offset(1))
    }

    @Test func kafkaPythonAdministersTopics() async throws {
        #expect(try await answer(CapturedRequests.kafkaPythonCreateTopics) == fromHex("00000000 00000001 0008 6b702d7269646573 0000 ffff"))
        #expect(try await answer(CapturedRequests.kafkaPythonCreatePartitions) == fromHex("00000000 00000001 0008 6b702d7269646573 0000 ffff"))
        #expect(try broker.partitionCount("kp-rides") == 6)
        let configs = try DescribedConfigs(try await answer(CapturedRequests.kafkaPythonDescribeConfigs), version: 3)
        #expect(configs.error == 0)
        #expect(configs.entries["retention.ms"]?.value == "86400000")
        #expect(configs.entries["retention.ms"]?.source == 1, "a topic override")
        #expect(configs.entries["segment.bytes"]?.value == String(1 << 30))
        #expect(configs.entries["segment.bytes"]?.source == 4, "the broker's value")
        #expect(configs.entries["cleanup.policy"]?.value == "delete")
        #expect(configs.entries.values.allSatisfy { (1 ... 8).contains($0.source) })
    }

    @Test func kafkaPythonListsAndDescribesGroups() async throws {
        #expect(try await answer(CapturedRequests.kafkaPythonListGroups) == fromHex("00000000 0000 00000000"))
        // An unknown group is "Dead" with no error, and INT32_MIN authorized operations.
        #expect(try await answer(CapturedRequests.kafkaPythonDescribeGroups) == fromHex(
            "00000000 00000001 0000 0008 6b702d67726f7570 0004 44656164 0000 0000 00000000 80000000"
        ))
    }

    /// An idempotent producer's retry (same producer id, epoch and sequence) is answered with
    /// the first append's offset and not stored again.
    @Test func kafkaPythonIdempotentProduceIsStoredOnce() async throws {
        let initialized = try await answer(CapturedRequests.kafkaPythonInitProducerId)
        #expect(Array(initialized[0 ..< 6]) == [0, 0, 0, 0, 0, 0])
        #expect(hexString(Array(initialized[6 ..< 14])) == "00066118919c54f8", "the id the capture carries")
        #expect(Array(initialized[14 ..< 16]) == [0, 0], "epoch 0")
        let first = try await answer(CapturedRequests.kafkaPythonIdempotentProduce)
        let retry = try await answer(CapturedRequests.kafkaPythonIdempotentProduce)
        #expect(first == retry)
        #expect(try broker.bounds(TopicPartition("rides", PartitionID(0))).end == Offset(1))
    }

    @Test func unservedApisAndVersionsGetUnsupportedVersion() async throws {
        let unknownKey = "03e7 0000 00000029 0004 74657374"  // API 999
        #expect(try await answer(unknownKey) == [0, 35])
        let metadataV99 = "0003 0063 0000002a 0004 74657374 ffffffff"
        #expect(try await answer(metadataV99) == [0, 35])
        let produceV2 = "0000 0002 0000002b ffff"
        #expect(try await answer(produceV2) == [0, 35])
    }

    @Test func malformedBodiesCloseTheConnection() async throws {
        for hex in [
            "0000 0008 00000001 ffff fffe0001 6761726261676521",  // Produce: acks then garbage
            "0003 0001 00000002 ffff 7fffffff",  // Metadata: 2^31-1 topics in 0 bytes
            "0013 0004 00000003 ffff 00000001 0001",  // CreateTopics cut inside a topic name
        ] {
            await #expect(throws: RequestDispatcher.DispatchError.self) { try await dispatcher.handle(fromHex(hex)) }
        }
        #expect(broker.topicNames().isEmpty, "nothing created by the broken requests")
    }

    /// A Produce v8 request for one partition of topic "p".
    func produceRequest(acks: Int16, batch: [UInt8]) -> String {
        var writer = ByteWriter()
        writer.write(Int16(0))
        writer.write(Int16(8))
        writer.write(Int32(77))
        writer.writeNullableString("test")
        writer.writeNullableString(nil)
        writer.write(acks)
        writer.write(Int32(1000))
        writer.write(Int32(1))
        writer.writeString("p")
        writer.write(Int32(1))
        writer.write(Int32(0))
        writer.writeBytes(batch)
        return hexString(writer.take())
    }

    /// The error code and message of the first partition of a Produce v8 response.
    func produceError(_ body: [UInt8]) throws -> (code: Int16, message: String?) {
        try body.withRawBytes { (raw) throws(WireError) in
            var reader = ByteReader(raw)
            _ = try reader.readInt32()
            _ = try reader.readString()
            _ = try reader.readInt32()
            _ = try reader.readInt32()
            let code = try reader.readInt16()
            _ = try reader.readBytes(8 + 8 + 8 + 4)
            return (code, try reader.readNullableString())
        }
    }

    @Test func produceRefusesBadAcksAndOversizedBatches() async throws {
        try broker.createTopic("p", configuration: TopicConfiguration(partitions: 1))
        let badAcks = try produceError(try await answer(produceRequest(acks: 2, batch: TestBatches.make(3))))
        #expect(badAcks.code == 21)
        #expect(badAcks.message?.contains("got 2") == true)
        let oversized = try produceError(try await answer(produceRequest(acks: 1, batch: TestBatches.make(2, valueSize: 600_000))))
        #expect(oversized.code == 10, "MESSAGE_TOO_LARGE")
        #expect(oversized.message?.contains("exceeds the maximum of 1048588") == true)
        #expect(try broker.bounds(TopicPartition("p", PartitionID(0))).end == .zero)
        // acks=0: stored, and no response at all.
        #expect(try await dispatcher.handle(fromHex(produceRequest(acks: 0, batch: TestBatches.make(3)))) == nil)
        #expect(try broker.bounds(TopicPartition("p", PartitionID(0))).end == Offset(3))
    }

    @Test func createTopicsRefusesWhatOneBrokerCannotDo() async throws {
        func createTopics(_ name: String, partitions: Int32, replication: Int16, configs: [(String, String)]) async throws -> (code: Int16, message: String?) {
            var writer = ByteWriter()
            writer.write(Int16(19))
            writer.write(Int16(4))
            writer.write(Int32(1))
            writer.writeNullableString("test")
            writer.write(Int32(1))
            writer.writeString(name)
            writer.write(partitions)
            writer.write(replication)
            writer.write(Int32(0))
            writer.write(Int32(configs.count))
            for (key, value) in configs {
                writer.writeString(key)
                writer.writeNullableString(value)
            }
            writer.write(Int32(1000))
            writer.write(false)
            let body = try await answer(hexString(writer.take()))
            return try body.withRawBytes { (raw) throws(WireError) in
                var reader = ByteReader(raw)
                _ = try reader.readInt32()
                _ = try reader.readInt32()
                _ = try reader.readString()
                return (try reader.readInt16(), try reader.readNullableString())
            }
        }
        let replicated = try await createTopics("a", partitions: 1, replication: 3, configs: [])
        #expect(replicated.code == 38)
        let unknownSetting = try await createTopics("b", partitions: 1, replication: 1, configs: [("compaction.lag", "1")])
        #expect(unknownSetting.code == 40)
        #expect(unknownSetting.message?.contains("compaction.lag") == true)
        let badValue = try await createTopics("c", partitions: 1, replication: 1, configs: [("retention.ms", "soon")])
        #expect(badValue.code == 40)
        #expect(badValue.message?.contains("'soon'") == true)
        let badName = try await createTopics("no/slash", partitions: 1, replication: 1, configs: [])
        #expect(badName.code == 17)
        let zero = try await createTopics("d", partitions: 0, replication: 1, configs: [])
        #expect(zero.code == 37)
        #expect(broker.topicNames().isEmpty)
        let defaults = try await createTopics("e", partitions: -1, replication: -1, configs: [("retention.bytes", "-1")])
        #expect(defaults.code == 0)
        #expect(try broker.describeTopic("e").configuration.retentionBytes == -1)
    }
}

/// A DescribeConfigs v1–3 response body, decoded for assertions.
struct DescribedConfigs {
    var error: Int16
    var entries: [String: (value: String?, source: Int8)] = [:]

    init(_ body: [UInt8], version: Int16) throws {
        var decoded: (Int16, [String: (String?, Int8)]) = (0, [:])
        try body.withRawBytes { (raw) throws(WireError) in
            var reader = ByteReader(raw)
            _ = try reader.readInt32()
            _ = try reader.readInt32()
            decoded.0 = try reader.readInt16()
            _ = try reader.readNullableString()
            _ = try reader.readInt8()
            _ = try reader.readString()
            for _ in 0 ..< (try reader.readInt32()) {
                let name = try reader.readString()
                let value = try reader.readNullableString()
                _ = try reader.readBool()
                let source = try reader.readInt8()
                _ = try reader.readBool()
                for _ in 0 ..< (try reader.readInt32()) {
                    _ = try reader.readString()
                    _ = try reader.readNullableString()
                    _ = try reader.readInt8()
                }
                if version >= 3 {
                    _ = try reader.readInt8()
                    _ = try reader.readNullableString()
                }
                decoded.1[name] = (value, source)
            }
        }
        error = decoded.0
        entries = decoded.1.mapValues { (value: $0.0, source: $0.1) }
    }
}
