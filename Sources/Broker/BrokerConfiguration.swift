import Groups
import LogStore

/// Settings of the built-in broker.
public struct BrokerConfiguration: Sendable {
    /// Where topics and committed offsets live: `<dataDirectory>/topics/<topic>/<partition>/`
    /// and `<dataDirectory>/internal/consumer-offsets/`.
    public var dataDirectory: String
    /// Log settings every topic starts from (segment size, retention, flush policy...).
    public var log = LogConfiguration()
    /// Whether producing to or fetching from an unknown topic creates it (Kafka
    /// `auto.create.topics.enable`, true).
    public var autoCreateTopics = true
    /// Partitions of an auto-created topic (Kafka `num.partitions`, 1).
    public var defaultPartitions = 1
    /// Group coordinator settings. The initial rebalance delay is 50 ms here: the consumers of
    /// one process start within milliseconds of each other, and waiting that long for them
    /// puts them all in the group's first generation. With none, the first to join gets a
    /// generation of its own, each later arrival starts another rebalance, and the earlier
    /// members hear of it only at their next heartbeat (300 ms by default) — time a run spends
    /// waiting before its first event. A Kafka-protocol server uses Kafka's 3000 ms.
    public var groups: GroupConfiguration = {
        var groups = GroupConfiguration()
        groups.initialRebalanceDelayMs = 50
        return groups
    }()
    /// How often retention runs over every partition (Kafka `log.retention.check.interval.ms`,
    /// 5 minutes).
    public var retentionCheckIntervalMs: Int64 = 300_000
    /// Open for inspection only: nothing under `dataDirectory` is created, changed or removed
    /// (logs are recovered in memory, unfinished topics skipped, no state saved); every
    /// write fails. `topics`, `groups`, `report` and `verify` open the broker so.
    public var readOnly = false

    public init(dataDirectory: String) {
        self.dataDirectory = dataDirectory
    }

    var topicsDirectory: String { dataDirectory + "/topics" }
    var offsetsDirectory: String { dataDirectory + "/internal/consumer-offsets" }
}
