/// The Fetch exchange (API key 1), versions 4–11. No fetch sessions: the answer's session id
/// is 0 and every requested partition is answered.
public enum Fetch {
    public struct PartitionRequest: Sendable {
        public var partition: Int32
        public var fetchOffset: Int64
        public var maxBytes: Int32
    }

    public struct Request: Sendable {
        public var maxWaitMs: Int32
        public var minBytes: Int32
        public var maxBytes: Int32
        public var topics: [(name: String, partitions: [PartitionRequest])]

        public static func decode(_ body: UnsafeRawBufferPointer, version: Int16) throws(WireError) -> Request {
            var reader = ByteReader(body)
            _ = try reader.readInt32()  // replica id
            let maxWait = try reader.readInt32()
            let minBytes = try reader.readInt32()
            let maxBytes = try reader.readInt32()
            _ = try reader.readInt8()  // isolation level
            if version >= 7 {
                _ = try reader.readInt32()  // session id
                _ = try reader.readInt32()  // session epoch
            }
            let topicCount = try reader.readCount("topic", minimumElementBytes: 6)
            var topics: [(String, [PartitionRequest])] = []
            for _ in 0 ..< topicCount {
                let name = try reader.readString()
                let count = try reader.readCount("partition", minimumElementBytes: 16)
                var partitions: [PartitionRequest] = []
                for _ in 0 ..< count {
                    let partition = try reader.readInt32()
                    if version >= 9 { _ = try reader.readInt32() }  // current leader epoch
                    let offset = try reader.readInt64()
                    if version >= 5 { _ = try reader.readInt64() }  // log start offset (followers)
                    partitions.append(PartitionRequest(partition: partition, fetchOffset: offset, maxBytes: try reader.readInt32()))
                }
                topics.append((name, partitions))
            }
            return Request(maxWaitMs: maxWait, minBytes: minBytes, maxBytes: maxBytes, topics: topics)
        }
    }

    public struct PartitionResponse: Sendable {
        public var partition: Int32
        public var error: ErrorCode
        public var highWatermark: Int64
        public var logStartOffset: Int64
        public var records: [UInt8]

        public init(partition: Int32, error: ErrorCode, highWatermark: Int64, logStartOffset: Int64, records: [UInt8]) {
            self.partition = partition
            self.error = error
            self.highWatermark = highWatermark
            self.logStartOffset = logStartOffset
            self.records = records
        }
    }

    public static func responseBody(version: Int16, topics: [(name: String, partitions: [PartitionResponse])]) -> [UInt8] {
        let size = topics.reduce(0) { $0 + $1.partitions.reduce(0) { $0 + $1.records.count + 48 } + 32 }
        var writer = ByteWriter(capacity: 32 + size)
        writer.write(Int32(0))  // throttle_time_ms
        if version >= 7 {
            writer.write(ErrorCode.noError.rawValue)
            writer.write(Int32(0))  // session id: no sessions
        }
        writer.writeTopics(topics) { out, partition in
            out.write(partition.partition)
            out.write(partition.error.rawValue)
            out.write(partition.highWatermark)
            out.write(partition.highWatermark)  // last stable offset: no transactions
            if version >= 5 { out.write(partition.logStartOffset) }
            out.write(Int32(0))  // aborted transactions: none
            if version >= 11 { out.write(Int32(-1)) }  // preferred read replica
            out.writeBytes(partition.records)
        }
        return writer.take()
    }
}
