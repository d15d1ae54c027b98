import KafkaWire

/// A sticky assignor: balanced like round-robin, but members keep the partitions they own
/// (from `ConsumerSubscription.ownedPartitions`) wherever balance allows, so a rebalance moves
/// as few partitions as possible.
///
/// Steps: keep each valid owned partition (still exists, still subscribed, claimed by no
/// earlier member); give every unowned partition to the eligible member with the fewest;
/// then move partitions from the most to the least loaded eligible member until no two
/// members differ by more than one where a move is possible.
public struct StickyAssignor: PartitionAssignor {
    public let name = "sticky"
    public init() {}

    public func assign(
        subscriptions: [MemberID: ConsumerSubscription], partitionCounts: [String: Int]
    ) -> [MemberID: [TopicPartition]] {
        var result = emptyAssignment(subscriptions)
        let members = subscriptions.keys.sorted()
        func eligible(_ member: MemberID, _ partition: TopicPartition) -> Bool {
            subscriptions[member]!.topics.contains(partition.topic)
        }
        var claimed = Set<TopicPartition>()
        for member in members {
            for partition in subscriptions[member]!.ownedPartitions.sorted()
            where partition.partition.rawValue < partitionCounts[partition.topic] ?? 0
                && eligible(member, partition) && claimed.insert(partition).inserted {
                result[member, default: []].append(partition)
            }
        }
        for topic in subscribedTopics(subscriptions, partitionCounts) {
            for index in 0 ..< (partitionCounts[topic] ?? 0) {
                let partition = TopicPartition(topic, PartitionID(index))
                guard !claimed.contains(partition) else { continue }
                let candidates = members.filter { eligible($0, partition) }
                guard let target = candidates.min(by: { (result[$0]!.count, $0) < (result[$1]!.count, $1) }) else { continue }
                result[target]!.append(partition)
                claimed.insert(partition)
            }
        }
        // Balance: move from the most loaded member to the least loaded one that can take it.
        var moved = true
        while moved {
            moved = false
            for donor in members.sorted(by: { (result[$0]!.count, $1) > (result[$1]!.count, $0) }) {
                let candidate = result[donor]!.sorted().last { partition in
                    members.contains { $0 != donor && eligible($0, partition) && result[$0]!.count + 1 < result[donor]!.count }
                }
                guard let partition = candidate else { continue }
                let receiver = members
                    .filter { $0 != donor && eligible($0, partition) && result[$0]!.count + 1 < result[donor]!.count }
                    .min { (result[$0]!.count, $0) < (result[$1]!.count, $1) }!
                result[donor]!.removeAll { $0 == partition }
                result[receiver]!.append(partition)
                moved = true
                break
            }
        }
        return result.mapValues { $0.sorted() }
    }
}
