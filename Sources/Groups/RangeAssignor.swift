import KafkaWire

/// Kafka's range assignor: per topic, the members subscribed to it (sorted by id) take
/// contiguous ranges of partitions; the first `partitions % members` get one extra.
public struct RangeAssignor: PartitionAssignor {
    public let name = "range"
    public init() {}

    public func assign(
        subscriptions: [MemberID: ConsumerSubscription], partitionCounts: [String: Int]
    ) -> [MemberID: [TopicPartition]] {
        var result = emptyAssignment(subscriptions)
        for topic in subscribedTopics(subscriptions, partitionCounts) {
            let consumers = subscriptions.filter { $0.value.topics.contains(topic) }.keys.sorted()
            let count = partitionCounts[topic] ?? 0
            guard !consumers.isEmpty else { continue }
            let share = count / consumers.count
            let extra = count % consumers.count
            var next = 0
            for (index, member) in consumers.enumerated() {
                let take = share + (index < extra ? 1 : 0)
                for partition in next ..< next + take { result[member, default: []].append(TopicPartition(topic, PartitionID(partition))) }
                next += take
            }
        }
        return result
    }
}
