/// Something the run did to one of its consumers (a scenario step, or a control action), in
/// simulated time: what a rebalance's story explains ("fare-2 crashed at 300 s").
public struct ConsumerEvent: Sendable, Hashable {
    public enum Kind: String, Sendable {
        case added
        /// Left the group cleanly.
        case removed
        /// Stopped without leaving: the group waits for its session to time out.
        case crashed
    }

    public var group: GroupName
    /// The consumer's name, its client id in the group ("fare-2").
    public var consumer: String
    public var kind: Kind
    /// Simulated time of the step, milliseconds since the epoch.
    public var simulatedMs: Int64

    public init(group: GroupName, consumer: String, kind: Kind, simulatedMs: Int64) {
        self.group = group
        self.consumer = consumer
        self.kind = kind
        self.simulatedMs = simulatedMs
    }
}

/// What the run knows around a rebalance that the group protocol does not say: where the
/// simulation was and what it did to its consumers.
public struct RebalanceContext: Sendable {
    /// Simulated time production had reached when the rebalance was recorded (nil before the
    /// first tick).
    public var simulatedMs: Int64?
    /// Simulated time of the run's first tick: seconds "into the run" count from here.
    public var startMs: Int64
    /// The group's consumer events so far, oldest first.
    public var events: [ConsumerEvent]
    public var sessionTimeoutMs: Int32

    /// Nothing known: a consumer outside a run.
    public static let unknown = RebalanceContext(simulatedMs: nil, startMs: 0, events: [], sessionTimeoutMs: 0)

    public init(simulatedMs: Int64?, startMs: Int64, events: [ConsumerEvent], sessionTimeoutMs: Int32) {
        self.simulatedMs = simulatedMs
        self.startMs = startMs
        self.events = events
        self.sessionTimeoutMs = sessionTimeoutMs
    }
}
