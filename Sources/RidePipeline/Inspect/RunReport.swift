/// A finished run as `ridestream report --json` writes it and `report --html` draws it, read
/// from the data directory's databases: events per region and minute, trips and fares by
/// region, each group's writes and lag over time, its rebalance timeline, incidents by kind.
///
/// Lag over time comes from each transaction's row in `batches`: at its commit production had
/// reached `produced_ms`, the log held every event before then (their offsets are in the
/// analytics file), and the group had stored up to the partitions' offsets so far; seconds
/// behind are `produced_ms` minus the newest stored event's time. Files written before
/// `produced_ms` existed have no lag series.
public struct RunReport: Codable, Sendable, Equatable {
    public struct RegionMinute: Codable, Sendable, Equatable {
        public var region: String
        /// `2026-01-05T08:03` (UTC, simulated).
        public var minute: String
        public var events: Int
    }

    public struct RegionTrips: Codable, Sendable, Equatable {
        public var region: String
        public var trips: Int
        public var revenue: Double
        public var averageFare: Double
    }

    /// The group's lag at one commit, in simulated seconds from the run's start.
    public struct LagPoint: Codable, Sendable, Equatable {
        public var second: Double
        /// Events produced but not yet stored (nil without the analytics file's offsets).
        public var lag: Int64?
        public var secondsBehind: Double
    }

    public struct ConsumerWrites: Codable, Sendable, Equatable {
        public var id: String
        public var events: Int
        public var transactions: Int
    }

    public struct Group: Codable, Sendable, Equatable {
        public var name: String
        public var database: String
        public var events: Int
        public var transactions: Int
        public var consumers: [ConsumerWrites]
        /// At most `RunReport.lagPoints` points, the last commit always among them.
        public var lag: [LagPoint]
        public var timeline: [RecordedRebalance]
        /// Events retention deleted before the group stored them.
        public var eventsMissing: Int64
    }

    public struct Kind: Codable, Sendable, Equatable {
        public var kind: String
        public var count: Int
    }

    public static let lagPoints = 400

    public var dataDirectory: String
    /// Simulated time of the run's first event, ms since the epoch (nil: no event stored).
    public var startMs: Int64?
    public var eventsPerPartition: [Int64]
    public var regionMinutes: [RegionMinute]
    public var tripsByRegion: [RegionTrips]
    public var groups: [Group]
    public var incidents: [Kind]
}
