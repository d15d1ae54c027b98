import KafkaWire

/// Records of one partition returned by one poll, in offset order.
public struct ConsumerBatch: Sendable {
    public var topicPartition: TopicPartition
    /// The records, decoded lazily over the fetched bytes.
    public var records: RecordSet
    /// The partition's log end when the records were read.
    public var highWatermark: Offset
    /// The offset after the last record: what to commit once these records are processed.
    public var nextOffset: Offset
    /// Records left to read in the partition after this batch.
    public var lag: Int64 { max(0, highWatermark - nextOffset) }
}

/// Callbacks around a rebalance, for callers that keep their own offsets (such as a sink that
/// stores offsets in its database in the same transaction as the rows).
public struct RebalanceListener: Sendable {
    /// Called before the consumer gives up its partitions to rejoin the group.
    public var onRevoked: @Sendable ([TopicPartition]) async -> Void
    /// Called with the new assignment; returns positions to start from. Partitions it leaves
    /// out start from the group's committed offset, or `autoOffsetReset`.
    public var onAssigned: @Sendable ([TopicPartition]) async -> [TopicPartition: Offset]

    public init(
        onRevoked: @escaping @Sendable ([TopicPartition]) async -> Void = { _ in },
        onAssigned: @escaping @Sendable ([TopicPartition]) async -> [TopicPartition: Offset] = { _ in [:] }
    ) {
        self.onRevoked = onRevoked
        self.onAssigned = onAssigned
    }
}
