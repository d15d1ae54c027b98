import KafkaWire
import Testing

@Suite struct ProtocolFramingTests {
    /// An ApiVersions v3 request in the shape librdkafka sends first: header v2 (client id
    /// "rdkafka", no tags), then a compact body (software name and version, no tags). Built
    /// here from the schema; the interop suite will add bytes captured from the real clients.
    static let flexibleApiVersionsRequest: [UInt8] = {
        var writer = ByteWriter()
        writer.write(Int16(18))
        writer.write(Int16(3))
        writer.write(Int32(1))
        writer.writeString("rdkafka")
        writer.write(UInt8(0))  // header tags
        writer.write(UInt8(11))  // compact string: length + 1
        writer.write(contentsOf: Array("librdkafka".utf8))
        writer.write(UInt8(6))
        writer.write(contentsOf: Array("2.0.2".utf8))
        writer.write(UInt8(0))
        return writer.take()
    }()

    @Test func framesComeOutWholeWhateverTheChunking() throws {
        let frames: [[UInt8]] = [[1, 2, 3], [], Array(repeating: 7, count: 1000), [9]]
        let stream = frames.flatMap { $0.framed() }
        for chunk in [1, 2, 3, 5, 64, stream.count] {
            var decoder = FrameDecoder(maxFrameBytes: 4096)
            var out: [[UInt8]] = []
            var index = 0
            while index < stream.count {
                decoder.feed(stream[index ..< min(stream.count, index + chunk)])
                index += chunk
                while let frame = try decoder.nextFrame() { out.append(frame) }
            }
            #expect(out == frames, "chunk \(chunk)")
            #expect(decoder.bufferedBytes == 0)
        }
    }

    @Test func oversizedAndNegativeSizesAreRefusedBeforeAllocation() {
        var decoder = FrameDecoder(maxFrameBytes: 100)
        decoder.feed([0, 0, 0, 101])
        #expect(throws: WireError.self) { try decoder.nextFrame() }
        var huge = FrameDecoder()
        huge.feed([0x7f, 0xff, 0xff, 0xff])
        let error = #expect(throws: WireError.self) { try huge.nextFrame() }
        #expect(error?.message.contains("exceeds the limit of 104857600") == true)
        var negative = FrameDecoder()
        negative.feed([0xff, 0xff, 0xff, 0xfe])
        #expect(throws: WireError.self) { try negative.nextFrame() }
    }

    @Test func parsesFlexibleHeadersAndSkipsTheirTags() throws {
        let (header, bodyStart) = try RequestHeader.parse(Self.flexibleApiVersionsRequest)
        #expect(header.apiKey == .apiVersions)
        #expect(header.apiVersion == 3)
        #expect(header.correlationID == 1)
        #expect(header.clientID == "rdkafka")
        #expect(bodyStart == 2 + 2 + 4 + 2 + 7 + 1)
    }

    @Test func apiVersionsV3GetsTheVersionZeroFallback() {
        let body = ApiVersions.responseBody(requestVersion: 3)
        // error 35, one entry: ApiVersions 0...2, and no throttle time.
        #expect(body == [0, 35, 0, 0, 0, 1, 0, 18, 0, 0, 0, 2])
        let frame = ResponseFrame.make(correlationID: 1, body: body)
        #expect(Array(frame.prefix(8)) == [0, 0, 0, 16, 0, 0, 0, 1])
    }

    @Test func apiVersionsListsEveryServedApiWithNonFlexibleVersionsButListGroups() throws {
        let body = ApiVersions.responseBody(requestVersion: 2)
        let entries = try body.withRawBytes { (raw) throws(WireError) in
            var reader = ByteReader(raw)
            #expect(try reader.readInt16() == 0)
            let count = try reader.readInt32()
            var entries: [Int16: ClosedRange<Int16>] = [:]
            for _ in 0 ..< count {
                let key = try reader.readInt16()
                entries[key] = try reader.readInt16() ... reader.readInt16()
            }
            #expect(try reader.readInt32() == 0)
            #expect(reader.isAtEnd)
            return entries
        }
        #expect(entries[0] == 3 ... 8, "Produce v3 must be in range for librdkafka")
        #expect(entries[1] == 4 ... 11)
        #expect(entries[18] == 0 ... 2)
        #expect(entries[16] == 0 ... 4, "ListGroups v4 (flexible) is the first to report group states")
        for (key, range) in entries where key != 16 {
            #expect(!ApiKey(rawValue: key).isFlexible(range.upperBound), "\(ApiKey(rawValue: key)) advertises only non-flexible versions")
        }
        for key: Int16 in [21, 33, 42, 44, 47] { #expect(entries[key] != nil, "\(ApiKey(rawValue: key)) is served") }
    }
}
