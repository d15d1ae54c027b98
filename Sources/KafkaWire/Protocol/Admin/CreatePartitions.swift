/// The CreatePartitions exchange (API key 37), versions 0–1 (byte-identical).
///
/// Request: topics [name, count int32 (the new total), assignments nullable [broker_ids
/// [int32]]], timeout_ms int32, validate_only bool. Response: throttle_time_ms, then a
/// `TopicResult` with its message per topic.
public enum CreatePartitions {
    public struct Topic: Hashable, Sendable {
        public var name: String
        public var totalCount: Int32
        /// Broker ids for each new partition; nil when automatic.
        public var assignments: [[Int32]]?
    }

    public struct Request: Hashable, Sendable {
        public var topics: [Topic]
        public var timeoutMs: Int32
        public var validateOnly: Bool

        public static func decode(_ body: UnsafeRawBufferPointer) throws(WireError) -> Request {
            var reader = ByteReader(body)
            let count = try reader.readCount("topic", minimumElementBytes: 10)
            var topics: [Topic] = []
            for _ in 0 ..< count {
                let name = try reader.readString()
                let total = try reader.readInt32()
                var assignments: [[Int32]]?
                if let entries = try reader.readNullableCount("assignment", minimumElementBytes: 4) {
                    var all: [[Int32]] = []
                    for _ in 0 ..< entries {
                        var brokers: [Int32] = []
                        for _ in 0 ..< (try reader.readCount("broker id", minimumElementBytes: 4)) { brokers.append(try reader.readInt32()) }
                        all.append(brokers)
                    }
                    assignments = all
                }
                topics.append(Topic(name: name, totalCount: total, assignments: assignments))
            }
            return Request(topics: topics, timeoutMs: try reader.readInt32(), validateOnly: try reader.readBool())
        }
    }

    public static func responseBody(_ results: [TopicResult]) -> [UInt8] {
        TopicResult.responseBody(results, throttleTime: true, messages: true)
    }
}
