import KafkaWire

/// One protocol a member can speak (an assignor name) with its metadata bytes (for the
/// "consumer" protocol type, an encoded `ConsumerSubscription`).
public struct GroupProtocol: Hashable, Sendable {
    public var name: String
    public var metadata: [UInt8]

    public init(name: String, metadata: [UInt8]) {
        self.name = name
        self.metadata = metadata
    }
}

/// A JoinGroup request.
public struct JoinRequest: Hashable, Sendable {
    /// Empty for a member joining for the first time.
    public var memberID: MemberID
    public var clientID: String
    public var clientHost: String
    public var sessionTimeoutMs: Int32
    /// -1 when the client's protocol version has none (v0): the session timeout is used.
    public var rebalanceTimeoutMs: Int32
    public var protocolType: String
    public var protocols: [GroupProtocol]
    /// JoinGroup v4+: a new member first gets MEMBER_ID_REQUIRED with its id and rejoins.
    public var requireKnownMemberID: Bool
    /// A static member's `group.instance.id` (KIP-345): one that restarts and joins again
    /// with it takes its old place, partitions included, without a rebalance.
    public var groupInstanceID: String?

    public init(
        memberID: MemberID = .none, clientID: String, clientHost: String = "",
        sessionTimeoutMs: Int32, rebalanceTimeoutMs: Int32 = -1,
        protocolType: String = "consumer", protocols: [GroupProtocol], requireKnownMemberID: Bool = false,
        groupInstanceID: String? = nil
    ) {
        self.memberID = memberID
        self.clientID = clientID
        self.clientHost = clientHost
        self.sessionTimeoutMs = sessionTimeoutMs
        self.rebalanceTimeoutMs = rebalanceTimeoutMs
        self.protocolType = protocolType
        self.protocols = protocols
        self.requireKnownMemberID = requireKnownMemberID
        self.groupInstanceID = groupInstanceID
    }
}

/// A member as the leader sees it in its JoinGroup response.
public struct JoinedMember: Hashable, Sendable {
    public var memberID: MemberID
    public var metadata: [UInt8]
    /// A static member's `group.instance.id` (JoinGroup v5+ reports it to the leader).
    public var instanceID: String?
}

/// A JoinGroup answer.
public struct JoinResponse: Hashable, Sendable {
    public var error: ErrorCode
    public var generation: GenerationID
    public var protocolType: String?
    public var protocolName: String?
    public var leader: MemberID
    public var memberID: MemberID
    /// Every member's metadata for the chosen protocol, for the leader only; empty otherwise.
    public var members: [JoinedMember]

    public static func failure(_ error: ErrorCode, memberID: MemberID = .none) -> JoinResponse {
        JoinResponse(error: error, generation: .none, protocolType: nil, protocolName: nil, leader: .none, memberID: memberID, members: [])
    }

    public var isLeader: Bool { error == .noError && leader == memberID }
}

/// A SyncGroup answer.
public struct SyncResponse: Hashable, Sendable {
    public var error: ErrorCode
    public var protocolType: String?
    public var protocolName: String?
    /// This member's assignment bytes (empty for a member given nothing).
    public var assignment: [UInt8]

    public static func failure(_ error: ErrorCode) -> SyncResponse {
        SyncResponse(error: error, protocolType: nil, protocolName: nil, assignment: [])
    }
}

/// What the state machine asks its owner to do: answer parked requests.
public enum GroupAction: Hashable, Sendable {
    case answerJoin(RequestID, JoinResponse)
    case answerSync(RequestID, SyncResponse)
}

/// A member in a group description.
public struct MemberDescription: Hashable, Sendable {
    public var memberID: MemberID
    public var clientID: String
    public var clientHost: String
    public var metadata: [UInt8]
    public var assignment: [UInt8]
    /// A static member's `group.instance.id`.
    public var instanceID: String?
}

/// A group as DescribeGroups shows it.
public struct GroupDescription: Hashable, Sendable {
    public var groupID: String
    public var state: GroupState
    public var protocolType: String
    public var protocolName: String
    public var generation: GenerationID
    public var leader: MemberID
    public var members: [MemberDescription]
}
