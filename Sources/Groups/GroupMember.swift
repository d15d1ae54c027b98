/// One member of a group as the coordinator tracks it.
struct GroupMember: Hashable, Sendable {
    var id: MemberID
    var clientID: String
    var clientHost: String
    var sessionTimeoutMs: Int32
    var rebalanceTimeoutMs: Int32
    var protocols: [GroupProtocol]
    /// The bytes the leader assigned this member in the current generation.
    var assignment: [UInt8] = []
    /// Its JoinGroup request parked until the join phase completes.
    var pendingJoin: RequestID?
    /// Its SyncGroup request parked until the leader's assignment arrives.
    var pendingSync: RequestID?
    /// When the member is removed unless it joins, syncs or heartbeats again (ms).
    var sessionDeadline: Int64
    /// A static member's `group.instance.id`.
    var instanceID: String?
    /// Whether its client has been told its member id. A member made by a join without the
    /// MEMBER_ID_REQUIRED round trip learns it only from the join's answer: until then its
    /// client cannot heartbeat, rejoin or leave under it.
    var idKnown = true

    func metadata(for protocolName: String) -> [UInt8] {
        protocols.first { $0.name == protocolName }?.metadata ?? []
    }
}
