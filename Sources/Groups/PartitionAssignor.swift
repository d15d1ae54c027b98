import KafkaWire

/// Decides which member of a group consumes which partition. Runs in the group leader (as in
/// Kafka, the coordinator never interprets subscriptions).
///
/// Every assignor guarantees: each partition of a subscribed topic goes to exactly one member
/// subscribed to that topic; members beyond the partition count get nothing (idle); the
/// result depends only on the input, so every leader computes the same.
public protocol PartitionAssignor: Sendable {
    /// The protocol name members advertise in JoinGroup (Kafka's names: "range", "roundrobin",
    /// "sticky").
    var name: String { get }

    func assign(
        subscriptions: [MemberID: ConsumerSubscription], partitionCounts: [String: Int]
    ) -> [MemberID: [TopicPartition]]
}

extension PartitionAssignor {
    /// Every member starts with an empty list, so idle members appear in the result.
    func emptyAssignment(_ subscriptions: [MemberID: ConsumerSubscription]) -> [MemberID: [TopicPartition]] {
        subscriptions.mapValues { _ in [] }
    }

    /// The topics any member subscribes to that exist, sorted.
    func subscribedTopics(_ subscriptions: [MemberID: ConsumerSubscription], _ partitionCounts: [String: Int]) -> [String] {
        Set(subscriptions.values.flatMap(\.topics)).filter { partitionCounts[$0] != nil }.sorted()
    }
}

/// The assignors by protocol name.
public enum Assignors {
    public static let all: [any PartitionAssignor] = [RangeAssignor(), RoundRobinAssignor(), StickyAssignor()]

    public static func named(_ name: String) -> (any PartitionAssignor)? {
        all.first { $0.name == name }
    }
}
