import KafkaWire

/// The log under the pipeline: the built-in broker in this process (`BuiltInEventLog`) or a
/// Kafka cluster reached through librdkafka (`KafkaEventLog`, with the KafkaCluster trait).
///
/// The pipeline only needs what every Kafka-style log offers: topics with a partition count,
/// per-partition offsets, a producer that writes to a chosen partition, and group consumers
/// that tell it when partitions are assigned (so it can start each from the offset in its
/// database) and revoked (so it can write what it holds first). Partitions and offsets keep
/// the broker's types; failures are `PipelineError`s wrapping the log's own errors.
public protocol EventLog: Sendable {
    /// For messages: "the built-in broker in Data/broker", "the Kafka cluster at host:9092".
    var name: String { get }

    /// Creates `topic` when it does not exist; returns its partition count.
    func prepareTopic(_ topic: String, partitions: Int, replicationFactor: Int) async throws(PipelineError) -> Int

    /// The log start and end offsets of one partition.
    func bounds(_ topic: String, partition: PartitionID) async throws(PipelineError) -> LogBounds

    func makeProducer(_ settings: EventProducerSettings) throws(PipelineError) -> any EventProducer

    func makeConsumer(_ settings: EventConsumerSettings, listener: EventRebalanceListener) throws(PipelineError) -> any EventConsumer

    /// The group's generation and members' assignments, when the log can tell (the built-in
    /// coordinator can; a Kafka client sees only its own assignment).
    func describeGroup(_ group: String) async -> GroupSnapshot?

    /// The group's committed offsets in the log for `topic` (what Kafka's tools report), when
    /// the log can tell without a client of its own.
    func committedOffsets(_ group: String, topic: String) async -> [PartitionID: Offset]?

    /// Commits `offsets` of `topic` for a group from outside it, as Kafka's tools do (no
    /// member id, generation -1): accepted only while the group has no members. Returns
    /// false where this log takes no such commits (a Kafka cluster, whose record of a group
    /// is what its consumers committed).
    func commitWithoutMembers(_ group: String, topic: String, _ offsets: [PartitionID: Offset]) async throws(PipelineError) -> Bool

    /// Calls `body` with the offset, key and value of every record stored in one partition,
    /// in offset order from the log start (`--resume` checks what an interrupted run produced).
    func forEachStoredRecord(
        _ topic: String, partition: PartitionID, _ body: (Offset, ArraySlice<UInt8>?, ArraySlice<UInt8>?) -> Void
    ) async throws(PipelineError)

    /// The last `limit` readable records of a partition, oldest first; nil when the log
    /// cannot read them without a consumer of its own (a Kafka cluster).
    func latestRecords(_ topic: String, partition: PartitionID, limit: Int) async throws(PipelineError) -> [StoredRecord]?

    /// Flushes and releases the log's resources.
    func close() async throws(PipelineError)
}

extension EventLog {
    public func latestRecords(_ topic: String, partition: PartitionID, limit: Int) async throws(PipelineError) -> [StoredRecord]? { nil }

    public func commitWithoutMembers(_ group: String, topic: String, _ offsets: [PartitionID: Offset]) async throws(PipelineError) -> Bool { false }
}

/// One record as a reader shows it: key and value as text (lossy where not UTF-8).
public struct StoredRecord: Sendable, Hashable, Codable {
    public var offset: Int64
    public var key: String?
    public var value: String?

    public init(offset: Int64, key: ArraySlice<UInt8>?, value: ArraySlice<UInt8>?) {
        self.offset = offset
        self.key = key.map { String(decoding: $0, as: UTF8.self) }
        self.value = value.map { String(decoding: $0, as: UTF8.self) }
    }
}

/// The first and next offsets of a partition: `start ..< end` is what the log holds.
public struct LogBounds: Hashable, Sendable {
    public var start: Offset
    public var end: Offset

    public init(start: Offset, end: Offset) {
        self.start = start
        self.end = end
    }
}

public struct EventProducerSettings: Sendable {
    public var topic: String
    public var batchBytes: Int
    public var lingerMs: Int64
}

public struct EventConsumerSettings: Sendable {
    public var group: String
    public var clientID: String
    public var topic: String
    public var sessionTimeoutMs: Int32
    public var heartbeatIntervalMs: Int64
    public var fetchMaxWaitMs: Int64
    public var assignor: String
}

/// Writes records to explicit partitions; `close` returns once every record is stored.
public protocol EventProducer: Sendable {
    /// Adds a record, on the caller's executor; suspends (never blocks a thread) while the
    /// producer's buffer is full.
    nonisolated(nonsending) func send(partition: PartitionID, key: [UInt8], value: [UInt8], headers: [RecordHeader], timestamp: Int64) async throws(PipelineError)
    func close() async throws(PipelineError)
}

/// A group member's view of the log.
public protocol EventConsumer: Sendable {
    /// The next records of the assigned partitions (empty after a quiet wait).
    func poll() async throws(PipelineError) -> [EventBatch]
    /// Partitions assigned to this member now.
    func assignment() async -> [PartitionID]
    /// Rebalances this member has been through; changes when its assignment changes.
    func rebalances() async -> Int
    /// The generations this member led since the last call, oldest first, each with every
    /// member's assignment as it gave them (the member then records them); none where the
    /// log's client cannot tell (a Kafka cluster).
    func takeLedGenerations() async -> [GroupSnapshot]
    /// This member's rebalance rounds since the last call, oldest first (with librdkafka,
    /// one per callback: a revocation and an assignment are rows of their own).
    func takeRounds() async -> [MemberRound]
    func seek(partition: PartitionID, to offset: Offset) async throws(PipelineError)
    /// Mirrors progress into the log's committed offsets (the databases stay the source of
    /// truth), so lag tools see it.
    func commit(_ offsets: [PartitionID: Offset]) async throws(PipelineError)
    /// Leaves the group.
    func close() async
    /// Stops as a crashed process would: no leave, no more heartbeats.
    func abandon() async
}

/// Records of one partition, in offset order; values are slices of the fetched bytes where
/// the log allows.
public struct EventBatch: Sendable {
    public var partition: PartitionID
    public var offsets: [Offset]
    public var values: [ArraySlice<UInt8>?]
    /// The offset after the last record (with the built-in broker, past records it skipped).
    public var nextOffset: Offset

    public init(partition: PartitionID, offsets: [Offset], values: [ArraySlice<UInt8>?], nextOffset: Offset) {
        self.partition = partition
        self.offsets = offsets
        self.values = values
        self.nextOffset = nextOffset
    }
}

/// Where a newly assigned partition starts.
public enum StartPosition: Hashable, Sendable {
    case offset(Offset)
    /// The first offset the log still has (Kafka's OFFSET_BEGINNING).
    case logStart
}

/// What the pipeline does when partitions move.
public struct EventRebalanceListener: Sendable {
    /// Partitions about to be taken away.
    public var onRevoked: @Sendable ([PartitionID]) async -> Void
    /// Partitions just assigned; returns where to start each.
    public var onAssigned: @Sendable ([PartitionID]) async -> [PartitionID: StartPosition]

    public init(
        onRevoked: @escaping @Sendable ([PartitionID]) async -> Void,
        onAssigned: @escaping @Sendable ([PartitionID]) async -> [PartitionID: StartPosition]
    ) {
        self.onRevoked = onRevoked
        self.onAssigned = onAssigned
    }
}

/// A group as the log's coordinator sees it.
public struct GroupSnapshot: Sendable {
    public var generation: Int32
    /// Member label ("client(…id)") → partitions.
    public var assignment: [String: [Int]]
    /// Whether the group is Stable: only then are the members those of `generation` and the
    /// assignment theirs. During a rebalance the members are the next generation's (some not
    /// yet joined) while the assignments are still the last one's.
    public var stable: Bool
}
