import KafkaWire

/// How far a group is behind in one partition.
public struct PartitionLag: Hashable, Sendable {
    public var committed: Offset
    public var logEndOffset: Offset
    /// Records between the committed offset and the log end.
    public var lag: Int64 { max(0, logEndOffset - committed) }
}

extension Broker {
    /// The lag of every partition the group has committed offsets for (partitions of
    /// deleted topics are left out).
    public func lag(groupID: String) async throws(BrokerError) -> [TopicPartition: PartitionLag] {
        let committed = await coordinator.fetchOffsets(groupID: groupID)
        var result: [TopicPartition: PartitionLag] = [:]
        for (partition, offset) in committed {
            guard let bounds = try? bounds(partition) else { continue }
            result[partition] = PartitionLag(committed: offset.offset, logEndOffset: bounds.end)
        }
        return result
    }
}
