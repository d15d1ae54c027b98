/// The Produce exchange (API key 0), versions 3–8.
public enum Produce {
    public struct PartitionData: Sendable {
        public var partition: Int32
        /// The RecordBatch bytes as sent; nil when the client sent none.
        public var records: [UInt8]?
    }

    public struct TopicData: Sendable {
        public var name: String
        public var partitions: [PartitionData]
    }

    public struct Request: Sendable {
        public var transactionalID: String?
        /// 0: no response at all; 1: after the local append; -1 (all): the same here (one broker).
        public var acks: Int16
        public var timeoutMs: Int32
        public var topics: [TopicData]

        public static func decode(_ body: UnsafeRawBufferPointer, version: Int16) throws(WireError) -> Request {
            var reader = ByteReader(body)
            let transactional = try reader.readNullableString()
            let acks = try reader.readInt16()
            let timeout = try reader.readInt32()
            let topicCount = try reader.readCount("topic", minimumElementBytes: 6)
            var topics: [TopicData] = []
            for _ in 0 ..< topicCount {
                let name = try reader.readString()
                let partitionCount = try reader.readCount("partition", minimumElementBytes: 8)
                var partitions: [PartitionData] = []
                for _ in 0 ..< partitionCount {
                    partitions.append(PartitionData(partition: try reader.readInt32(), records: try reader.readNullableBytes()))
                }
                topics.append(TopicData(name: name, partitions: partitions))
            }
            return Request(transactionalID: transactional, acks: acks, timeoutMs: timeout, topics: topics)
        }
    }

    public struct PartitionResponse: Sendable {
        public var partition: Int32
        public var error: ErrorCode
        public var baseOffset: Int64
        public var logStartOffset: Int64
        public var errorMessage: String?

        public init(partition: Int32, error: ErrorCode, baseOffset: Int64, logStartOffset: Int64, errorMessage: String? = nil) {
            self.partition = partition
            self.error = error
            self.baseOffset = baseOffset
            self.logStartOffset = logStartOffset
            self.errorMessage = errorMessage
        }
    }

    public static func responseBody(version: Int16, topics: [(name: String, partitions: [PartitionResponse])]) -> [UInt8] {
        var writer = ByteWriter(capacity: 64 + topics.count * 64)
        writer.writeTopics(topics) { out, partition in
            out.write(partition.partition)
            out.write(partition.error.rawValue)
            out.write(partition.baseOffset)
            out.write(Int64(-1))  // log_append_time_ms: create time is kept
            if version >= 5 { out.write(partition.logStartOffset) }
            if version >= 8 {
                out.write(Int32(0))  // record errors
                out.writeNullableString(partition.errorMessage)
            }
        }
        writer.write(Int32(0))  // throttle_time_ms
        return writer.take()
    }
}
