/// The ListOffsets exchange (API key 2), versions 1–5: -1 asks for the high watermark, -2 for
/// the log start, any other value for the first offset whose timestamp is at least it.
public enum ListOffsets {
    public struct Request: Sendable {
        public var topics: [(name: String, partitions: [(partition: Int32, timestamp: Int64)])]

        public static func decode(_ body: UnsafeRawBufferPointer, version: Int16) throws(WireError) -> Request {
            var reader = ByteReader(body)
            _ = try reader.readInt32()  // replica id
            if version >= 2 { _ = try reader.readInt8() }  // isolation level
            let topicCount = try reader.readCount("topic", minimumElementBytes: 6)
            var topics: [(String, [(Int32, Int64)])] = []
            for _ in 0 ..< topicCount {
                let name = try reader.readString()
                let count = try reader.readCount("partition", minimumElementBytes: 12)
                var partitions: [(Int32, Int64)] = []
                for _ in 0 ..< count {
                    let partition = try reader.readInt32()
                    if version >= 4 { _ = try reader.readInt32() }  // current leader epoch
                    partitions.append((partition, try reader.readInt64()))
                }
                topics.append((name, partitions))
            }
            return Request(topics: topics)
        }
    }

    public struct PartitionResponse: Sendable {
        public var partition: Int32
        public var error: ErrorCode
        public var timestamp: Int64
        public var offset: Int64

        public init(partition: Int32, error: ErrorCode, timestamp: Int64, offset: Int64) {
            self.partition = partition
            self.error = error
            self.timestamp = timestamp
            self.offset = offset
        }
    }

    public static func responseBody(version: Int16, topics: [(name: String, partitions: [PartitionResponse])]) -> [UInt8] {
        var writer = ByteWriter(capacity: 64)
        if version >= 2 { writer.write(Int32(0)) }  // throttle_time_ms
        writer.writeTopics(topics) { out, partition in
            out.write(partition.partition)
            out.write(partition.error.rawValue)
            out.write(partition.timestamp)
            out.write(partition.offset)
            if version >= 4 { out.write(Int32(0)) }  // leader epoch
        }
        return writer.take()
    }
}
