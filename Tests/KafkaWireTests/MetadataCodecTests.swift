import KafkaWire
import Testing

@Suite struct MetadataCodecTests {
    static func decode(_ bytes: [UInt8], version: Int16) throws -> Metadata.Request {
        try bytes.withRawBytes { (raw) throws(WireError) in try Metadata.Request.decode(raw, version: version) }
    }

    @Test func requestTopicListsPerVersion() throws {
        #expect(try Self.decode([0, 0, 0, 0], version: 0).topics == nil, "v0: empty means all")
        #expect(try Self.decode([0xff, 0xff, 0xff, 0xff], version: 1).topics == nil, "v1+: null means all")
        #expect(try Self.decode([0, 0, 0, 0], version: 1).topics == [], "v1+: empty means none")
        var writer = ByteWriter()
        writer.write(Int32(2))
        writer.writeString("a")
        writer.writeString("driver-locations")
        writer.write(Int8(0))
        let request = try Self.decode(writer.bytes, version: 4)
        #expect(request.topics == ["a", "driver-locations"])
        #expect(request.allowAutoTopicCreation == false)
        #expect(throws: WireError.self) { try Self.decode([0, 0, 0, 9, 0], version: 1) }
    }

    @Test func responseVersionOneLayout() throws {
        let body = Metadata.responseBody(
            version: 1, broker: Metadata.Broker(nodeID: 1, host: "127.0.0.1", port: 9092), clusterID: "ridestream",
            topics: [Metadata.Topic(error: .noError, name: "t", partitions: [0, 1])]
        )
        try body.withRawBytes { (raw) throws(WireError) in
            var reader = ByteReader(raw)
            #expect(try reader.readInt32() == 1)  // brokers
            #expect(try reader.readInt32() == 1)
            #expect(try reader.readString() == "127.0.0.1")
            #expect(try reader.readInt32() == 9092)
            #expect(try reader.readNullableString() == nil)  // rack
            #expect(try reader.readInt32() == 1)  // controller
            #expect(try reader.readInt32() == 1)  // topics
            #expect(try reader.readInt16() == 0)
            #expect(try reader.readString() == "t")
            #expect(try reader.readInt8() == 0)
            #expect(try reader.readInt32() == 2)
            for partition in 0 ..< 2 {
                #expect(try reader.readInt16() == 0)
                #expect(try reader.readInt32() == Int32(partition))
                #expect(try reader.readInt32() == 1)  // leader
                #expect(try reader.readInt32() == 1)
                #expect(try reader.readInt32() == 1)  // replica
                #expect(try reader.readInt32() == 1)
                #expect(try reader.readInt32() == 1)  // isr
            }
            #expect(reader.isAtEnd)
        }
    }
}
