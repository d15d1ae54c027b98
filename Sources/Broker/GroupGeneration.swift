import Groups
import KafkaWire

/// One generation of a group as the coordinator saw it complete: its members with the
/// partitions the leader gave them, and the members removed since the generation before,
/// with the reason. `broker serve --dashboard` draws its rebalance timeline from these.
///
/// Kept in memory, the newest `GroupCoordinator.generationsKept` per group: a restarted
/// broker starts each group's history afresh, as its groups start empty.
public struct GroupGeneration: Sendable, Equatable {
    public struct Member: Sendable, Equatable {
        public var memberID: MemberID
        public var clientID: String
        public var clientHost: String
        /// Empty for an idle member, and for a group whose protocol is not Kafka's consumer
        /// protocol (its assignment bytes mean something else).
        public var partitions: [TopicPartition]
    }

    public var generation: GenerationID
    /// The group's first generation recorded since the broker started (older ones trimmed
    /// away leave a generation that is not).
    public var isFirst: Bool
    /// Whether the members' assignments could be read (Kafka's consumer protocol).
    public var assignmentsKnown: Bool
    /// The coordinator's clock when the generation became stable (or empty), ms.
    public var atMs: Int64
    public var protocolName: String
    public var members: [Member]
    /// Members removed since the previous generation recorded, oldest first.
    public var departures: [GroupDeparture]
}

extension GroupGeneration {
    /// The generation `group` has just completed: stable with every assignment known, or empty.
    init(completed group: ConsumerGroup, departures: [GroupDeparture], atMs: Int64, isFirst: Bool) {
        let description = group.describe()
        generation = group.generation
        self.isFirst = isFirst
        let known = description.protocolType == "consumer"
        assignmentsKnown = known
        self.atMs = atMs
        protocolName = description.protocolName
        self.departures = departures
        members = description.members.map { member in
            let partitions = known ? (try? ConsumerAssignment.decode(member.assignment))?.partitions : nil
            return Member(
                memberID: member.memberID, clientID: member.clientID, clientHost: member.clientHost,
                partitions: (partitions ?? []).sorted { ($0.topic, $0.partition) < ($1.topic, $1.partition) }
            )
        }
    }
}
