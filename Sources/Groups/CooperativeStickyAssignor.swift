import KafkaWire

/// Kafka's `cooperative-sticky` assignor (KIP-429): the sticky assignment, handed over in
/// two rounds so that no partition is ever owned by two members at once.
///
/// The leader computes the balanced, sticky target (`StickyAssignor`) from the partitions the
/// members say they own, then holds back every partition whose target owner is not its current
/// owner: round one gives the current owner an assignment without it, so that owner revokes
/// it and rejoins; round two, where nobody owns it any more, gives it to its new owner.
///
/// Ownership claims follow the generation each member got them in (subscription version 2):
/// when members claim from different generations, only the latest generation's claims count
/// (a member that was dropped and has not yet noticed claims an older one); claims without a
/// generation (version 1 clients) count as current. Two members claiming the same partition in
/// the same generation: the first in member id order keeps it.
public struct CooperativeStickyAssignor: PartitionAssignor {
    public let name = "cooperative-sticky"
    public var rebalanceProtocol: RebalanceProtocol { .cooperative }
    public init() {}

    public func assign(
        subscriptions: [MemberID: ConsumerSubscription], partitionCounts: [String: Int]
    ) -> [MemberID: [TopicPartition]] {
        let valid = Self.validClaims(subscriptions)
        let target = StickyAssignor().assign(subscriptions: valid, partitionCounts: partitionCounts)
        var owner: [TopicPartition: MemberID] = [:]
        for member in valid.keys.sorted() {
            for partition in valid[member]!.ownedPartitions where owner[partition] == nil { owner[partition] = member }
        }
        return Dictionary(uniqueKeysWithValues: target.map { member, partitions in
            (member, partitions.filter { owner[$0] == nil || owner[$0] == member })
        })
    }

    /// The subscriptions with every claim from an older generation than the latest one cleared.
    static func validClaims(_ subscriptions: [MemberID: ConsumerSubscription]) -> [MemberID: ConsumerSubscription] {
        let latest = subscriptions.values.filter { !$0.ownedPartitions.isEmpty }.map(\.generation).max() ?? -1
        return subscriptions.mapValues { subscription in
            var subscription = subscription
            if subscription.generation >= 0, subscription.generation < latest { subscription.ownedPartitions = [] }
            return subscription
        }
    }
}
