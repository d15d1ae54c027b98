import KafkaWire

/// Kafka's round-robin assignor: all partitions in (topic, partition) order are dealt to the
/// members in id order, skipping members not subscribed to a partition's topic.
public struct RoundRobinAssignor: PartitionAssignor {
    public let name = "roundrobin"
    public init() {}

    public func assign(
        subscriptions: [MemberID: ConsumerSubscription], partitionCounts: [String: Int]
    ) -> [MemberID: [TopicPartition]] {
        var result = emptyAssignment(subscriptions)
        let members = subscriptions.keys.sorted()
        guard !members.isEmpty else { return result }
        var cursor = 0
        for topic in subscribedTopics(subscriptions, partitionCounts) {
            for partition in 0 ..< (partitionCounts[topic] ?? 0) {
                for step in 0 ..< members.count {
                    let member = members[(cursor + step) % members.count]
                    if subscriptions[member]!.topics.contains(topic) {
                        result[member, default: []].append(TopicPartition(topic, PartitionID(partition)))
                        cursor = (cursor + step + 1) % members.count
                        break
                    }
                }
            }
        }
        return result
    }
}
