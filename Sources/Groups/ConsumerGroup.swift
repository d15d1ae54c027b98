import KafkaWire

/// The classic group protocol for one group, as a value-type state machine.
///
/// States: Empty → PreparingRebalance → CompletingRebalance → Stable, and back to
/// PreparingRebalance whenever a member joins, leaves or times out. Each call takes the current
/// time in milliseconds (an injected clock: tests drive it by hand) and returns the answers
/// to give now plus `GroupAction`s that answer requests parked earlier. Nothing here sleeps,
/// does I/O or knows about connections; the network server and the in-process consumers
/// share it through an owner that maps `RequestID`s to waiting callers.
///
/// Invariants: a member has at most one parked join and one parked sync; the generation grows
/// by one per completed join phase; the leader is a current member whenever there is one.
public struct ConsumerGroup: Sendable {
    public let groupID: String
    public let configuration: GroupConfiguration
    public internal(set) var state: GroupState = .empty
    public internal(set) var generation: GenerationID = GenerationID(0)
    public internal(set) var protocolType: String = ""
    public internal(set) var protocolName: String = ""
    public internal(set) var leader: MemberID = .none

    var members: [MemberID: GroupMember] = [:]
    /// Order in which members joined; the first current one leads when the leader is gone.
    var joinOrder: [MemberID] = []
    /// New members told MEMBER_ID_REQUIRED, with the time their offer expires.
    var pendingMembers: [MemberID: Int64] = [:]
    /// Static members (`group.instance.id`) and the member id each holds now.
    var staticMembers: [String: MemberID] = [:]
    /// When the join phase ends even if some members have not rejoined.
    var joinDeadline: Int64 = 0
    /// While a rebalance that began in an empty group waits for more members (Kafka's
    /// initial rebalance delay): the latest the wait may be extended to. Each new member
    /// extends it by the delay again, up to this (KIP-134); nil otherwise.
    var initialDelayLimit: Int64?
    /// When the sync phase gives up on members that have not synced.
    var syncDeadline: Int64 = 0
    /// Rebalances completed, for reports.
    public internal(set) var rebalanceCount = 0
    /// Members removed since the owner last took them (`takeDepartures`), the newest
    /// `maxDepartures` at most.
    public internal(set) var departures: [GroupDeparture] = []
    public static let maxDepartures = 256
    var memberIDGenerator: @Sendable (String) -> MemberID

    /// - Parameter memberIDGenerator: makes a new member id from a client id; the default
    ///   appends 16 random hex digits. Tests pass a deterministic one.
    public init(
        groupID: String, configuration: GroupConfiguration = GroupConfiguration(),
        memberIDGenerator: @escaping @Sendable (String) -> MemberID = ConsumerGroup.randomMemberID
    ) {
        self.groupID = groupID
        self.configuration = configuration
        self.memberIDGenerator = memberIDGenerator
    }

    public static let randomMemberID: @Sendable (String) -> MemberID = { clientID in
        let suffix = String(UInt64.random(in: 0 ... .max), radix: 16)
        return MemberID("\(clientID.isEmpty ? "member" : clientID)-\(String(repeating: "0", count: 16 - suffix.count))\(suffix)")
    }

    public var memberIDs: [MemberID] { members.keys.sorted() }

    /// The members removed since the last call, oldest first.
    public mutating func takeDepartures() -> [GroupDeparture] {
        defer { departures = [] }
        return departures
    }
    public var isEmpty: Bool { members.isEmpty }

    public func isMember(_ id: MemberID) -> Bool { members[id] != nil }

    /// The topics the members subscribe to, from their consumer-protocol metadata; nil when
    /// the group's protocol is not Kafka's consumer protocol or a member's metadata cannot be
    /// read (then nothing can be said about the group's topics). Empty for an empty group.
    public var subscribedTopics: Set<String>? {
        guard !members.isEmpty else { return [] }
        guard protocolType == "consumer" else { return nil }
        var topics: Set<String> = []
        for member in members.values {
            let metadata = member.protocols.first { $0.name == protocolName }?.metadata ?? member.protocols.first?.metadata ?? []
            guard let subscription = try? ConsumerSubscription.decode(metadata) else { return nil }
            topics.formUnion(subscription.topics)
        }
        return topics
    }

    /// The current assignment bytes of a member.
    public func assignment(of id: MemberID) -> [UInt8]? { members[id]?.assignment }

    public func describe() -> GroupDescription {
        GroupDescription(
            groupID: groupID, state: state, protocolType: protocolType,
            protocolName: state == .stable || state == .completingRebalance ? protocolName : "",
            generation: generation, leader: leader,
            members: members.values.sorted { $0.id < $1.id }.map {
                MemberDescription(
                    memberID: $0.id, clientID: $0.clientID, clientHost: $0.clientHost,
                    metadata: $0.metadata(for: protocolName), assignment: $0.assignment, instanceID: $0.instanceID
                )
            }
        )
    }

    // MARK: - Heartbeat and commit checks

    /// A Heartbeat: keeps the member's session alive and tells it whether to rejoin.
    public mutating func heartbeat(memberID: MemberID, generation: GenerationID, instanceID: String? = nil, now: Int64) -> ErrorCode {
        guard state != .dead else { return .coordinatorNotAvailable }
        guard !fenced(memberID, instance: instanceID) else { return .fencedInstanceId }
        guard var member = members[memberID] else { return .unknownMemberId }
        member.sessionDeadline = now + Int64(member.sessionTimeoutMs)
        members[memberID] = member
        guard generation == self.generation else { return .illegalGeneration }
        return state == .preparingRebalance ? .rebalanceInProgress : .noError
    }

    /// Whether an OffsetCommit from this member and generation may be stored.
    ///
    /// A commit with no member and generation -1 (a standalone consumer) is accepted only while
    /// the group has no members. A member's commit needs the current generation and is
    /// accepted during PreparingRebalance (so consumers can commit before they rejoin) but not
    /// during CompletingRebalance.
    public mutating func validateCommit(memberID: MemberID, generation: GenerationID, instanceID: String? = nil, now: Int64) -> ErrorCode {
        guard !fenced(memberID, instance: instanceID) else { return .fencedInstanceId }
        if memberID.isEmpty && generation == .none {
            return members.isEmpty ? .noError : .unknownMemberId
        }
        guard var member = members[memberID] else { return .unknownMemberId }
        guard generation == self.generation else { return .illegalGeneration }
        if state == .completingRebalance { return .rebalanceInProgress }
        member.sessionDeadline = now + Int64(member.sessionTimeoutMs)
        members[memberID] = member
        return .noError
    }
}
