/// The CreateTopics exchange (API key 19), versions 2–4 (byte-identical; v4 lets -1 mean the
/// broker default for both counts without a manual assignment).
///
/// Request: topics [name, num_partitions int32, replication_factor int16,
/// assignments [partition_index, broker_ids [int32]], configs [name, value nullable]],
/// timeout_ms int32, validate_only bool. Response: throttle_time_ms, then a `TopicResult`
/// with its message per topic.
public enum CreateTopics {
    public struct Topic: Hashable, Sendable {
        public var name: String
        /// -1: the broker default.
        public var partitions: Int32
        /// -1: the broker default.
        public var replicationFactor: Int16
        /// Manual replica assignment, in request order; empty when automatic.
        public var assignments: [Assignment]
        /// Topic settings by Kafka name (`retention.ms`, ...), in request order.
        public var configs: [Config]

        public init(name: String, partitions: Int32, replicationFactor: Int16, assignments: [Assignment] = [], configs: [Config] = []) {
            self.name = name
            self.partitions = partitions
            self.replicationFactor = replicationFactor
            self.assignments = assignments
            self.configs = configs
        }
    }

    public struct Assignment: Hashable, Sendable {
        public var partition: Int32
        public var brokers: [Int32]

        public init(partition: Int32, brokers: [Int32]) {
            self.partition = partition
            self.brokers = brokers
        }
    }

    public struct Config: Hashable, Sendable {
        public var name: String
        public var value: String?

        public init(name: String, value: String?) {
            self.name = name
            self.value = value
        }
    }

    public struct Request: Hashable, Sendable {
        public var topics: [Topic]
        public var timeoutMs: Int32
        public var validateOnly: Bool

        public init(topics: [Topic], timeoutMs: Int32, validateOnly: Bool) {
            self.topics = topics
            self.timeoutMs = timeoutMs
            self.validateOnly = validateOnly
        }

        public static func decode(_ body: UnsafeRawBufferPointer) throws(WireError) -> Request {
            var reader = ByteReader(body)
            let count = try reader.readCount("topic", minimumElementBytes: 16)
            var topics: [Topic] = []
            for _ in 0 ..< count {
                let name = try reader.readString()
                let partitions = try reader.readInt32()
                let replication = try reader.readInt16()
                var assignments: [Assignment] = []
                for _ in 0 ..< (try reader.readCount("assignment", minimumElementBytes: 8)) {
                    let index = try reader.readInt32()
                    var brokers: [Int32] = []
                    for _ in 0 ..< (try reader.readCount("broker id", minimumElementBytes: 4)) { brokers.append(try reader.readInt32()) }
                    assignments.append(Assignment(partition: index, brokers: brokers))
                }
                var configs: [Config] = []
                for _ in 0 ..< (try reader.readCount("config", minimumElementBytes: 4)) {
                    configs.append(Config(name: try reader.readString(), value: try reader.readNullableString()))
                }
                topics.append(Topic(name: name, partitions: partitions, replicationFactor: replication, assignments: assignments, configs: configs))
            }
            return Request(topics: topics, timeoutMs: try reader.readInt32(), validateOnly: try reader.readBool())
        }
    }

    public static func responseBody(_ results: [TopicResult]) -> [UInt8] {
        TopicResult.responseBody(results, throttleTime: true, messages: true)
    }
}
