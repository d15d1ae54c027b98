import KafkaWire

/// Decides which member of a group consumes which partition. Runs in the group leader (as in
/// Kafka, the coordinator never interprets subscriptions).
///
/// Every assignor guarantees: each partition of a subscribed topic goes to exactly one member
/// subscribed to that topic; members beyond the partition count get nothing (idle); the
/// result depends only on the input, so every leader computes the same.
public protocol PartitionAssignor: Sendable {
    /// The protocol name members advertise in JoinGroup (Kafka's names: "range", "roundrobin",
    /// "sticky", "cooperative-sticky").
    var name: String { get }

    /// How members give partitions up under this assignor (KIP-429): eagerly, all of them
    /// before every rebalance, or cooperatively, only those the leader moved away.
    var rebalanceProtocol: RebalanceProtocol { get }

    func assign(
        subscriptions: [MemberID: ConsumerSubscription], partitionCounts: [String: Int]
    ) -> [MemberID: [TopicPartition]]
}

/// How a group's members hand partitions over during a rebalance.
public enum RebalanceProtocol: String, Sendable, Hashable, Codable {
    /// Every member revokes everything before it rejoins; the new assignment is given at once.
    /// One round, but nothing is consumed while it lasts.
    case eager
    /// Members keep their partitions while they rejoin; one that the leader's assignment
    /// leaves without a partition it owns revokes just that and rejoins, and a second round
    /// gives the freed partitions to their new owners. Partitions that stay are never paused.
    case cooperative
}

extension PartitionAssignor {
    public var rebalanceProtocol: RebalanceProtocol { .eager }

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
    public static let all: [any PartitionAssignor] = [RangeAssignor(), RoundRobinAssignor(), StickyAssignor(), CooperativeStickyAssignor()]

    public static func named(_ name: String) -> (any PartitionAssignor)? {
        all.first { $0.name == name }
    }

    /// The protocol a member that offers `names` follows: cooperative only when every one of
    /// them is (as Kafka's consumer decides), since the leader may pick any of them.
    public static func rebalanceProtocol(_ names: [String]) -> RebalanceProtocol {
        let assignors = names.compactMap(named)
        return !assignors.isEmpty && assignors.allSatisfy { $0.rebalanceProtocol == .cooperative } ? .cooperative : .eager
    }
}
