/// One consumer group as `ridestream groups describe` shows it, in the columns of Kafka's
/// `kafka-consumer-groups --describe`, whatever it was read from (a stopped data directory).
///
/// Offsets: CURRENT-OFFSET is the group's committed offset (what Kafka tools show and
/// reset), LAG is the log end minus it. A RideStream sink also keeps its own offset, STORED,
/// in its database in the same transaction as its rows, and resumes from that one: the two
/// differ after a reset through a Kafka client, or when a sink stored a batch whose commit
/// to the broker was cut short by a crash.
public struct GroupView: Encodable, Hashable, Sendable {
    public struct Member: Encodable, Hashable, Sendable {
        public var consumerID: String
        public var host: String
        public var clientID: String
        /// The partitions assigned to it, "topic-partition".
        public var assignment: [String]

        public init(consumerID: String, host: String, clientID: String, assignment: [String]) {
            self.consumerID = consumerID
            self.host = host
            self.clientID = clientID
            self.assignment = assignment
        }
    }

    public struct PartitionOffsets: Encodable, Hashable, Sendable {
        public var topic: String
        public var partition: Int32
        /// The committed offset; nil when the group committed none for this partition.
        public var currentOffset: Int64?
        /// nil when the topic or partition no longer exists.
        public var logEndOffset: Int64?
        /// `logEndOffset - currentOffset`, nil when either is unknown.
        public var lag: Int64? {
            guard let currentOffset, let logEndOffset, currentOffset >= 0, logEndOffset >= 0 else { return nil }
            return max(0, logEndOffset - currentOffset)  // both non-negative: cannot overflow
        }
        /// The member that owns the partition, when the group has members.
        public var consumerID: String?
        public var host: String?
        public var clientID: String?
        /// The next offset the group's database holds (a RideStream sink), else nil.
        public var stored: Int64?

        public init(
            topic: String, partition: Int32, currentOffset: Int64?, logEndOffset: Int64?, consumerID: String? = nil,
            host: String? = nil, clientID: String? = nil, stored: Int64? = nil
        ) {
            self.topic = topic
            self.partition = partition
            self.currentOffset = currentOffset
            self.logEndOffset = logEndOffset
            self.consumerID = consumerID
            self.host = host
            self.clientID = clientID
            self.stored = stored
        }

        enum CodingKeys: String, CodingKey {
            case topic, partition, currentOffset, logEndOffset, lag, consumerID, host, clientID, stored
        }

        /// Every key, null where unknown (JSON readers need not guess which keys may be missing).
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(topic, forKey: .topic)
            try container.encode(partition, forKey: .partition)
            try container.encode(currentOffset, forKey: .currentOffset)
            try container.encode(logEndOffset, forKey: .logEndOffset)
            try container.encode(lag, forKey: .lag)
            try container.encode(consumerID, forKey: .consumerID)
            try container.encode(host, forKey: .host)
            try container.encode(clientID, forKey: .clientID)
            try container.encode(stored, forKey: .stored)
        }
    }

    public var group: String
    /// Kafka's group state: Empty, PreparingRebalance, CompletingRebalance, Stable, Dead.
    public var state: String
    /// The last generation known: the coordinator's, or for a stopped directory the last one
    /// its sink recorded; nil when unknown.
    public var generation: Int32?
    /// The assignor the members agreed on ("range", "roundrobin", ...); nil when unknown.
    public var assignmentStrategy: String?
    public var members: [Member]
    public var offsets: [PartitionOffsets]
    /// The database of a RideStream sink group, relative to the data directory.
    public var database: String?
    /// What a sink's database adds, one sentence each: the last rebalance, each consumer of its
    /// batch log, each gap retention left.
    public var notes: [String]

    public init(
        group: String, state: String, generation: Int32?, assignmentStrategy: String?, members: [Member],
        offsets: [PartitionOffsets], database: String? = nil, notes: [String] = []
    ) {
        self.group = group
        self.state = state
        self.generation = generation
        self.assignmentStrategy = assignmentStrategy
        self.members = members
        self.offsets = offsets
        self.database = database
        self.notes = notes
    }

    /// The total of the partitions' lag.
    public var lag: Int64 {
        offsets.reduce(0) { total, row in
            let (sum, overflow) = total.addingReportingOverflow(row.lag ?? 0)
            return overflow ? .max : sum
        }
    }
}
