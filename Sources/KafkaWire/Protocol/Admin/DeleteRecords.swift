/// The DeleteRecords exchange (API key 21), versions 0–1 (byte-identical).
///
/// Request: topics [name, partitions [partition_index int32, offset int64 (-1: the high
/// watermark)]], timeout_ms int32. Response: throttle_time_ms, then topics [name, partitions
/// [partition_index int32, low_watermark int64, error_code int16]].
public enum DeleteRecords {
    public struct Request: Sendable {
        public var topics: [(name: String, partitions: [(partition: Int32, offset: Int64)])]
        public var timeoutMs: Int32

        public static func decode(_ body: UnsafeRawBufferPointer) throws(WireError) -> Request {
            var reader = ByteReader(body)
            var topics: [(name: String, partitions: [(partition: Int32, offset: Int64)])] = []
            for _ in 0 ..< (try reader.readCount("topic", minimumElementBytes: 6)) {
                let name = try reader.readString()
                var partitions: [(partition: Int32, offset: Int64)] = []
                for _ in 0 ..< (try reader.readCount("partition", minimumElementBytes: 12)) {
                    partitions.append((try reader.readInt32(), try reader.readInt64()))
                }
                topics.append((name, partitions))
            }
            return Request(topics: topics, timeoutMs: try reader.readInt32())
        }
    }

    public struct PartitionResult: Hashable, Sendable {
        public var partition: Int32
        /// The partition's log start after the deletion; -1 with an error.
        public var lowWatermark: Int64
        public var error: ErrorCode

        public init(partition: Int32, lowWatermark: Int64, error: ErrorCode) {
            self.partition = partition
            self.lowWatermark = lowWatermark
            self.error = error
        }
    }

    public static func responseBody(_ topics: [(name: String, partitions: [PartitionResult])]) -> [UInt8] {
        var writer = ByteWriter(capacity: 16 + topics.count * 32)
        writer.write(Int32(0))
        writer.writeTopics(topics) { writer, result in
            writer.write(result.partition)
            writer.write(result.lowWatermark)
            writer.write(result.error.rawValue)
        }
        return writer.take()
    }
}
