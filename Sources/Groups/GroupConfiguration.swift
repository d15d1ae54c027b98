/// Coordinator settings shared by every group.
public struct GroupConfiguration: Hashable, Sendable {
    /// How long an empty group waits for more members before its first rebalance completes
    /// (Kafka `group.initial.rebalance.delay.ms`, 3000). The in-process pipeline uses 0.
    public var initialRebalanceDelayMs: Int64 = 3000
    /// The smallest session timeout a member may ask for (Kafka `group.min.session.timeout.ms`).
    public var minSessionTimeoutMs: Int32 = 6000
    /// The largest session timeout a member may ask for (Kafka `group.max.session.timeout.ms`).
    public var maxSessionTimeoutMs: Int32 = 1_800_000
    /// The most members a group takes (Kafka `group.max.size`, unlimited there).
    public var maxGroupSize: Int = 1000

    public init() {}
}
