import Groups
import KafkaWire

/// One rebalance as a member lived it: the generation it ended in, what it gave up since
/// its previous round, what it got, and what it owns now.
///
/// Under the eager protocol every round revokes everything owned and assigns everything
/// anew; under the cooperative one only partitions that moved are revoked (in the round the
/// leader takes them away) and assigned (in the next round, to their new owner).
public struct RebalanceRound: Sendable, Hashable {
    public var generation: GenerationID
    public var revoked: [TopicPartition]
    public var assigned: [TopicPartition]
    public var owned: [TopicPartition]

    public init(generation: GenerationID, revoked: [TopicPartition], assigned: [TopicPartition], owned: [TopicPartition]) {
        self.generation = generation
        self.revoked = revoked
        self.assigned = assigned
        self.owned = owned
    }
}
