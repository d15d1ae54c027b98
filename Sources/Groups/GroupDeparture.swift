import KafkaWire

/// A member removed from a group, and why: what a timeline of the group's generations explains
/// ("its session expired after 10 s without a heartbeat").
///
/// The coordinator knows the reason where the protocol removes the member: a LeaveGroup, a
/// session deadline passed, a join or sync phase ended without it, a first join given up.
public struct GroupDeparture: Hashable, Sendable {
    public enum Reason: String, Sendable {
        /// It sent a LeaveGroup.
        case left
        /// No heartbeat, join, sync or commit within its session timeout.
        case sessionExpired = "session timeout"
        /// It did not rejoin before the join phase ended.
        case notRejoined = "did not rejoin"
        /// It did not sync before the sync phase ended.
        case notSynced = "did not sync"
        /// Its first join was given up (its connection closed, its consumer stopped) before
        /// the answer told it its member id: nobody could use that id again.
        case abandoned = "gave up its first join"
        /// A static member restarted: a new member id took its place and its partitions.
        case replaced = "restarted (static member)"
    }

    public var memberID: MemberID
    public var clientID: String
    public var clientHost: String
    public var reason: Reason
    public var sessionTimeoutMs: Int32
    /// The coordinator's clock when it removed the member (ms).
    public var atMs: Int64
}
