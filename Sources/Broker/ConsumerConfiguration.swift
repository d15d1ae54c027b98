import CPUTime

/// Where a consumer starts in a partition its group has no committed offset for.
public enum AutoOffsetReset: String, Hashable, Sendable, CaseIterable {
    /// The log start: read everything still retained.
    case earliest
    /// The log end: only records produced from now on.
    case latest
}

/// Consumer settings; defaults follow Kafka's consumer unless noted.
public struct ConsumerConfiguration: Sendable {
    public var groupID: String
    public var topics: [String]
    public var clientID = "ridestream-consumer"
    /// The member is removed when it has not polled for this long (Kafka 45000; shorter here
    /// because in-process members are cheap to check and demos should rebalance quickly).
    public var sessionTimeoutMs: Int32 = 10_000
    /// How long the group waits for members to rejoin during a rebalance.
    public var rebalanceTimeoutMs: Int32 = 10_000
    /// How often `poll` heartbeats (Kafka 3000).
    public var heartbeatIntervalMs: Int64 = 1_000
    /// Where to start without a committed offset (Kafka's default is `latest`; a pipeline that
    /// must see every event wants `earliest`, the default here).
    public var autoOffsetReset: AutoOffsetReset = .earliest
    /// Assignor names in order of preference: "range", "roundrobin", "sticky".
    public var assignors: [String] = ["range"]
    /// Most bytes per partition per poll (Kafka `max.partition.fetch.bytes`, 1 MiB).
    public var maxPartitionFetchBytes = 1 << 20
    /// Most bytes per poll (Kafka `fetch.max.bytes`, 50 MiB).
    public var fetchMaxBytes = 50 << 20
    /// How long a poll waits for new records (Kafka `fetch.max.wait.ms`, 500).
    public var fetchMaxWaitMs: Int64 = 500
    /// Where fetching and decoding batches is charged (`Stage.fetch`), if anywhere.
    public var stages: StageTimes?

    public init(groupID: String, topics: [String]) {
        self.groupID = groupID
        self.topics = topics
    }
}
