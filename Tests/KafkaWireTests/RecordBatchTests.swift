import Foundation
import KafkaWire
import TestSupport
import Testing

@Suite struct RecordBatchTests {
    /// Two records, the second with a header and a null key, encoded by an independent
    /// reference implementation of the RecordBatch v2 layout.
    static let referenceHex =
        "0000000000000000000000530000000002f1f86b0a0000000000010000018bcfe568000000018bcfe56805"
        + "ffffffffffffffffffffffffffff0000000210000000026b02760030000a02010a68656c6c6f020c72"
        + "6567696f6e0a6e6f727468"

    static func referenceBatch() -> [UInt8] {
        var builder = RecordBatchBuilder(baseTimestamp: 1_700_000_000_000)
        builder.append(key: Array("k".utf8), value: Array("v".utf8), timestamp: 1_700_000_000_000)
        builder.append(
            key: nil, value: Array("hello".utf8), headers: [RecordHeader(key: "region", value: Array("north".utf8))],
            timestamp: 1_700_000_000_005
        )
        return builder.build()
    }

    @Test func encodesExactReferenceBytes() {
        #expect(hexString(Self.referenceBatch()) == Self.referenceHex)
    }

    @Test func decodesReferenceBytes() throws {
        let bytes = fromHex(Self.referenceHex)
        let header = try bytes.withRawBytes { (raw) throws(WireError) in try RecordBatch.validate(raw) }
        #expect(header.recordsCount == 2)
        #expect(header.lastOffsetDelta == 1)
        #expect(header.maxTimestamp == 1_700_000_000_005)
        #expect(header.producerId == -1)
        let records = try RecordBatch.records(in: bytes)
        #expect(records.map(\.offset) == [Offset(0), Offset(1)])
        #expect(records[0].key.map(Array.init) == Array("k".utf8))
        #expect(records[1].key == nil)
        #expect(records[1].value.map(Array.init) == Array("hello".utf8))
        #expect(records[1].header("region") == Array("north".utf8))
        #expect(records[1].timestamp == 1_700_000_000_005)
    }

    @Test func roundTripsRandomRecords() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0 ..< 200 {
            let count = Int.random(in: 1 ... 40, using: &generator)
            let base = Int64.random(in: 0 ... 2_000_000_000_000, using: &generator)
            var expected: [(key: [UInt8]?, value: [UInt8]?, headers: [RecordHeader], timestamp: Int64)] = []
            var builder = RecordBatchBuilder(baseTimestamp: base)
            for _ in 0 ..< count {
                let key: [UInt8]? = Bool.random() ? nil : randomBytes(Int.random(in: 0 ... 40), &generator)
                let value: [UInt8]? = Int.random(in: 0 ..< 10) == 0 ? nil : randomBytes(Int.random(in: 0 ... 300), &generator)
                let headers = (0 ..< Int.random(in: 0 ... 3)).map { index in
                    RecordHeader(key: "h\(index)", value: Bool.random() ? nil : randomBytes(5, &generator))
                }
                let timestamp = base + Int64.random(in: -1000 ... 100_000, using: &generator)
                builder.append(key: key, value: value, headers: headers, timestamp: timestamp)
                expected.append((key, value, headers, timestamp))
            }
            var bytes = builder.build()
            let offset = Offset(Int64.random(in: 0 ... 1 << 40, using: &generator))
            RecordBatch.setBaseOffset(offset, in: &bytes)
            let header = try bytes.withRawBytes { (raw) throws(WireError) in try RecordBatch.validate(raw) }
            #expect(header.baseOffset == offset)
            #expect(header.nextOffset == offset + Int64(count))
            let records = try RecordBatch.records(in: bytes)
            #expect(records.count == count)
            for (index, record) in records.enumerated() {
                #expect(record.offset == offset + Int64(index))
                #expect(record.key.map(Array.init) == expected[index].key)
                #expect(record.value.map(Array.init) == expected[index].value)
                #expect(record.headers == expected[index].headers)
                #expect(record.timestamp == expected[index].timestamp)
            }
        }
    }

    /// Found by the records fuzzer: a batch header claiming ~2^30 records in a few bytes made
    /// decoding reserve tens of gigabytes and die. The count is now bounded by the bytes.
    @Test func aRecordCountTheBytesCannotHoldIsRefusedWithoutAllocatingForIt() {
        let input = [UInt8](Data(base64Encoded: "AAAAAAABAwAAAAA9AAAAAAKOgzFMAAAAAAAAAAABiwAAAAAAAAGLzwEAAADlaAAAAAAAAQMAAAAAPQAAAAACjoMxTAAAAAAAAAAAAYsAAAAAAAABi88BAAAA5WgA////////////////AP//AQMAAAEWAAAABGsxBnYtMAAA////////////////AP//AQMAAAEWAAAABGsxBnYtMAA=")!)
        #expect(throws: WireError.self) { _ = try RecordSet.decode(input, from: .zero) }
    }

    /// Found by the records fuzzer: a timestamp delta that overflows the base timestamp
    /// trapped. Deltas wrap as Java's longs do; an offset delta outside the batch is malformed.
    @Test func overflowingDeltasNeverTrap() throws {
        let input = [UInt8](Data(base64Encoded: "gAAAAAAAAAAAAABVAAAAAAIiHf2JAAAAAAAC+QABi8/laAAAAAGLz+VoAv//////////////////AAAAAxYAAAAEazAGdt8wABYAAgIEazEGdi0xABYABCUEazIGdi0yAAAAAAAAAAAAAAAAVQAAAAACIh39iQAAAAAAAvkAAYvP5QZ2LTAA4f/9/fvJlM4GLy8vLy8vLy8vLy8vLy8vLy8vLy8vLy8vLy8vLy8vLy8vLy8vdi0wAA==")!)
        _ = try? RecordBatch.validateAll(input)
        _ = try? RecordSet.decode(input, from: .zero)
        _ = try? RecordBatch.forEachRecord(in: input) { _ in }
    }

    @Test func flippedByteFailsTheChecksum() {
        var bytes = Self.referenceBatch()
        bytes[70] ^= 0x01
        #expect(throws: WireError.self) { try bytes.withRawBytes { (raw) throws(WireError) in try RecordBatch.validate(raw) } }
        do {
            _ = try bytes.withRawBytes { (raw) throws(WireError) in try RecordBatch.validate(raw) }
        } catch {
            #expect(error.kind == .checksumMismatch)
        }
    }

    @Test func truncatedBatchIsReportedNotTrapped() {
        let bytes = Self.referenceBatch()
        for length in [0, 10, 60, 61, bytes.count - 1] {
            let cut = Array(bytes.prefix(length))
            #expect(throws: WireError.self) { try cut.withRawBytes { (raw) throws(WireError) in try RecordBatch.validate(raw) } }
            #expect(throws: WireError.self) { try RecordBatch.records(in: cut) }
        }
    }

    @Test func wrongMagicIsRejected() {
        var bytes = Self.referenceBatch()
        bytes[16] = 1
        do {
            _ = try bytes.withRawBytes { (raw) throws(WireError) in try RecordBatchHeader.parse(raw) }
            Issue.record("magic 1 accepted")
        } catch {
            #expect(error.kind == .unsupportedMagic)
        }
    }

    @Test func varintsRoundTripAtTheEdges() throws {
        let values: [Int64] = [0, 1, -1, 63, -64, 64, -65, 8191, Int64(Int32.max), Int64(Int32.min), .max, .min]
        var writer = ByteWriter()
        for value in values { writer.writeVarint(value) }
        #expect(writer.count == values.map(zigzagVarintSize).reduce(0, +))
        let decoded = try writer.bytes.withRawBytes { (raw) throws(WireError) in
            var reader = ByteReader(raw)
            return try values.map { _ throws(WireError) in try reader.readVarint() }
        }
        #expect(decoded == values)
    }

    @Test func consumerProtocolRoundTrips() throws {
        let subscription = ConsumerSubscription(
            topics: ["driver-locations", "other"], userData: [1, 2, 3],
            ownedPartitions: [TopicPartition("driver-locations", PartitionID(2)), TopicPartition("driver-locations", PartitionID(0))],
            generation: 7
        )
        let decoded = try ConsumerSubscription.decode(subscription.encode())
        #expect(decoded.topics == subscription.topics)
        #expect(decoded.userData == [1, 2, 3])
        #expect(Set(decoded.ownedPartitions) == Set(subscription.ownedPartitions))
        #expect(decoded.generation == 7)
        // A version 1 subscription (librdkafka 2.0 sends these) has no generation: -1.
        var version1 = subscription.encode().dropLast(4)
        version1[version1.startIndex + 1] = 1
        #expect(try ConsumerSubscription.decode(Array(version1)).generation == -1)
        #expect(try ConsumerSubscription.decode(Array(version1)).ownedPartitions.count == 2)
        let assignment = ConsumerAssignment(partitions: [TopicPartition("a", PartitionID(1)), TopicPartition("b", PartitionID(0))])
        #expect(Set(try ConsumerAssignment.decode(assignment.encode()).partitions) == Set(assignment.partitions))
        #expect(try ConsumerAssignment.decode([]).partitions.isEmpty)
    }
}

func randomBytes(_ count: Int, _ generator: inout SystemRandomNumberGenerator) -> [UInt8] {
    (0 ..< count).map { _ in UInt8.random(in: 0 ... 255, using: &generator) }
}
