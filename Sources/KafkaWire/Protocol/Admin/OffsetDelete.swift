/// The OffsetDelete exchange (API key 47), version 0 (it has no flexible version).
///
/// Request: group_id, topics [name, partitions [partition_index int32]]. Response:
/// error_code (the group's), throttle_time_ms, then topics [name, partitions
/// [partition_index, error_code]].
public enum OffsetDelete {
    public struct Request: Sendable {
        public var groupID: String
        public var topics: [(name: String, partitions: [Int32])]

        public static func decode(_ body: UnsafeRawBufferPointer) throws(WireError) -> Request {
            var reader = ByteReader(body)
            let group = try reader.readString()
            var topics: [(name: String, partitions: [Int32])] = []
            for _ in 0 ..< (try reader.readCount("topic", minimumElementBytes: 6)) {
                let name = try reader.readString()
                var partitions: [Int32] = []
                for _ in 0 ..< (try reader.readCount("partition", minimumElementBytes: 4)) { partitions.append(try reader.readInt32()) }
                topics.append((name, partitions))
            }
            return Request(groupID: group, topics: topics)
        }
    }

    public static func responseBody(error: ErrorCode, topics: [(name: String, partitions: [(partition: Int32, error: ErrorCode)])]) -> [UInt8] {
        var writer = ByteWriter(capacity: 16 + topics.count * 32)
        writer.write(error.rawValue)
        writer.write(Int32(0))
        writer.writeTopics(topics) { writer, result in
            writer.write(result.partition)
            writer.write(result.error.rawValue)
        }
        return writer.take()
    }
}
