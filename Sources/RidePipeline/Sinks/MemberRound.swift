import Groups
import KafkaWire

/// One rebalance round as one member of a group lived it, recorded by that member in
/// `member_rebalances`: what it revoked since its previous round, what it was assigned anew,
/// and what it owns afterwards (`owned` minus `assigned` is what it kept throughout).
public struct MemberRound: Sendable, Hashable {
    /// The generation the round ended in; nil where the log's client does not tell it.
    public var generation: Int32?
    public var revoked: [PartitionID]
    public var assigned: [PartitionID]
    public var owned: [PartitionID]

    public init(generation: Int32?, revoked: [PartitionID], assigned: [PartitionID], owned: [PartitionID]) {
        self.generation = generation
        self.revoked = revoked.sorted()
        self.assigned = assigned.sorted()
        self.owned = owned.sorted()
    }

    /// A partition list as the table holds it: "0,3" ("" for none).
    static func text(_ partitions: [PartitionID]) -> String {
        partitions.map { String($0.rawValue) }.joined(separator: ",")
    }
}
