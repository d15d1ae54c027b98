/// Coordinator settings shared by every group.
public struct GroupConfiguration: Hashable, Sendable {
    /// How long a rebalance that begins in an empty group (a new group, or one all members
    /// left) waits for more members, extended by as much again for each new member up to the
    /// rebalance timeout (Kafka `group.initial.rebalance.delay.ms`, 3000; KIP-134). The
    /// built-in broker of a run uses 50 (`BrokerConfiguration`).
    public var initialRebalanceDelayMs: Int64 = 3000
    /// The smallest session timeout a member may ask for (Kafka `group.min.session.timeout.ms`).
    public var minSessionTimeoutMs: Int32 = 6000
    /// The largest session timeout a member may ask for (Kafka `group.max.session.timeout.ms`).
    public var maxSessionTimeoutMs: Int32 = 1_800_000
    /// The most members a group takes (Kafka `group.max.size`, unlimited there).
    public var maxGroupSize: Int = 1000

    public init() {}
}
