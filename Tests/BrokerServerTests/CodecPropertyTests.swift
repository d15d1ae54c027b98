import KafkaWire
import RideModel
import TestSupport
import Testing

/// Properties of the request codecs over the captured client requests: every request decodes,
/// every strict prefix of its body is refused with a `WireError` (never a crash or a partial
/// request), and bytes fed one at a time come out of the frame decoder as the same frame.
@Suite struct CodecPropertyTests {
    /// The captured requests and a decoder for each.
    static let requests: [(name: String, hex: String, decode: @Sendable (UnsafeRawBufferPointer, Int16) throws(WireError) -> Void)] = [
        ("kcat Metadata", CapturedRequests.kcatMetadata, { raw, version throws(WireError) in _ = try Metadata.Request.decode(raw, version: version) }),
        ("kcat Produce", CapturedRequests.kcatProduce, { raw, version throws(WireError) in _ = try Produce.Request.decode(raw, version: version) }),
        ("confluent CreateTopics", CapturedRequests.confluentCreateTopics, { raw, _ throws(WireError) in _ = try CreateTopics.Request.decode(raw) }),
        ("confluent Produce", CapturedRequests.confluentProduce, { raw, version throws(WireError) in _ = try Produce.Request.decode(raw, version: version) }),
        ("kafka-python CreateTopics", CapturedRequests.kafkaPythonCreateTopics, { raw, _ throws(WireError) in _ = try CreateTopics.Request.decode(raw) }),
        ("kafka-python CreatePartitions", CapturedRequests.kafkaPythonCreatePartitions, { raw, _ throws(WireError) in _ = try CreatePartitions.Request.decode(raw) }),
        ("kafka-python DescribeConfigs", CapturedRequests.kafkaPythonDescribeConfigs, { raw, version throws(WireError) in _ = try DescribeConfigs.Request.decode(raw, version: version) }),
        ("kafka-python DescribeGroups", CapturedRequests.kafkaPythonDescribeGroups, { raw, version throws(WireError) in _ = try DescribeGroups.Request.decode(raw, version: version) }),
        ("kafka-python InitProducerId", CapturedRequests.kafkaPythonInitProducerId, { raw, _ throws(WireError) in _ = try InitProducerId.Request.decode(raw) }),
        ("kafka-python Produce", CapturedRequests.kafkaPythonIdempotentProduce, { raw, version throws(WireError) in _ = try Produce.Request.decode(raw, version: version) }),
    ]

    @Test(arguments: 0 ..< requests.count)
    func everyStrictPrefixOfABodyIsRefused(_ index: Int) throws {
        let (name, hex, decode) = Self.requests[index]
        let frame = fromHex(hex)
        let (header, bodyStart) = try RequestHeader.parse(frame)
        let body = Array(frame[bodyStart...])
        try body.withRawBytes { (raw) throws(WireError) in try decode(raw, header.apiVersion) }
        for length in 0 ..< body.count {
            let prefix = Array(body.prefix(length))
            #expect(throws: WireError.self, "\(name) cut to \(length) of \(body.count) bytes") {
                try prefix.withRawBytes { (raw) throws(WireError) in try decode(raw, header.apiVersion) }
            }
        }
    }

    @Test func framesFedOneByteAtATimeComeOutWhole() throws {
        let frames = Self.requests.map { fromHex($0.hex) }
        var decoder = FrameDecoder()
        var out: [[UInt8]] = []
        for byte in frames.flatMap({ $0.framed() }) {
            decoder.feed([byte])
            while let frame = try decoder.nextFrame() { out.append(frame) }
        }
        #expect(out == frames)
    }

    /// CreateTopics requests built from random topics, settings and assignments decode to
    /// what was encoded.
    @Test func createTopicsRoundTrips() throws {
        var random = SeededGenerator(seed: 19)
        for _ in 0 ..< 200 {
            var topics: [CreateTopics.Topic] = []
            for index in 0 ..< Int.random(in: 0 ... 4, using: &random) {
                let assignments = (0 ..< Int32.random(in: 0 ... 3, using: &random)).map { CreateTopics.Assignment(partition: $0, brokers: [1]) }
                let configs = (0 ..< Int.random(in: 0 ... 3, using: &random)).map {
                    CreateTopics.Config(name: "setting.\($0)", value: Bool.random(using: &random) ? nil : String(Int.random(in: -1 ... 1 << 40, using: &random)))
                }
                topics.append(CreateTopics.Topic(
                    name: "topic-\(index)", partitions: Int32.random(in: -1 ... 64, using: &random),
                    replicationFactor: Int16.random(in: -1 ... 3, using: &random), assignments: assignments, configs: configs
                ))
            }
            let request = CreateTopics.Request(topics: topics, timeoutMs: Int32.random(in: 0 ... 60_000, using: &random), validateOnly: Bool.random(using: &random))
            let decoded = try Self.encode(request).withRawBytes { (raw) throws(WireError) in try CreateTopics.Request.decode(raw) }
            #expect(decoded == request)
        }
    }

    /// The request as the schema lays it out.
    static func encode(_ request: CreateTopics.Request) -> [UInt8] {
        var writer = ByteWriter()
        writer.write(Int32(request.topics.count))
        for topic in request.topics {
            writer.writeString(topic.name)
            writer.write(topic.partitions)
            writer.write(topic.replicationFactor)
            writer.write(Int32(topic.assignments.count))
            for assignment in topic.assignments {
                writer.write(assignment.partition)
                writer.write(Int32(assignment.brokers.count))
                for broker in assignment.brokers { writer.write(broker) }
            }
            writer.write(Int32(topic.configs.count))
            for config in topic.configs {
                writer.writeString(config.name)
                writer.writeNullableString(config.value)
            }
        }
        writer.write(request.timeoutMs)
        writer.write(request.validateOnly)
        return writer.take()
    }
}
