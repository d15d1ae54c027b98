import KafkaWire

/// Brokers and topics as Metadata reports them.
public struct ClusterMetadata: Sendable {
    public struct Topic: Sendable {
        public var name: String
        public var error: ErrorCode
        public var isInternal: Bool
        /// Leader broker id per partition.
        public var leaders: [Int32: Int32]
    }

    public var brokers: [Int32: (host: String, port: Int)]
    public var topics: [Topic]
}

/// A group as DescribeGroups reports it, assignments decoded for the consumer protocol.
public struct DescribedGroup: Sendable {
    public struct Member: Sendable {
        public var memberID: String
        public var clientID: String
        /// Kafka's "/127.0.0.1" form.
        public var clientHost: String
        public var assignment: [TopicPartition]
    }

    public var error: ErrorCode
    public var groupID: String
    public var state: String
    public var protocolType: String
    /// The assignor chosen (consumer protocol), "" while none is.
    public var protocolName: String
    public var members: [Member]

    public init(error: ErrorCode, groupID: String, state: String, protocolType: String, protocolName: String, members: [Member]) {
        self.error = error
        self.groupID = groupID
        self.state = state
        self.protocolType = protocolType
        self.protocolName = protocolName
        self.members = members
    }
}

/// A topic setting as DescribeConfigs reports it; `source` is Kafka's number
/// (`DescribeConfigs.Source`).
public struct TopicSetting: Sendable, Hashable {
    public var name: String
    public var value: String?
    public var source: Int8
    public var readOnly: Bool
}
