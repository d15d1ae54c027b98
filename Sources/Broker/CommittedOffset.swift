import KafkaWire

/// A group's committed position in one partition: the next offset to read, with the client's
/// metadata string.
public struct CommittedOffset: Hashable, Sendable {
    public var offset: Offset
    public var metadata: String
    /// When it was committed (ms since the epoch).
    public var commitTimestamp: Int64

    public init(offset: Offset, metadata: String = "", commitTimestamp: Int64 = 0) {
        self.offset = offset
        self.metadata = metadata
        self.commitTimestamp = commitTimestamp
    }

    /// Kafka's `offset.metadata.max.bytes`.
    public static let maxMetadataBytes = 4096
}
