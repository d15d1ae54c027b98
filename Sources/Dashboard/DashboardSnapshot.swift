import RidePipeline

/// What the dashboard page shows, at one moment: the JSON of `GET /api/snapshot` and of each
/// `snapshot` event of `GET /api/stream` (keys in snake_case).
///
/// Every list is bounded whatever the run's size: the map carries at most
/// `DashboardSnapshot.mapLimit` drivers (every k-th driver beyond that), each group's lag
/// history at most `LagHistory.capacity` points, the timeline every recorded generation (a
/// few per scenario step or button press).
public struct DashboardSnapshot: Codable, Sendable, Equatable {
    /// Drivers drawn on the map at most.
    public static let mapLimit = 5000

    public struct Run: Codable, Sendable, Equatable {
        /// starting, producing, draining or finished.
        public var phase: String
        public var topic: String
        public var seed: UInt64
        public var drivers: Int
        public var durationSeconds: Int
        /// Simulated seconds production has reached.
        public var simulatedSecond: Double
        public var eventsProduced: Int
        public var eventsInLog: Int
        /// Simulated seconds per wall second; nil: unpaced.
        public var speed: Double?
        /// Seconds of wall time since the dashboard started watching.
        public var wallSeconds: Double
        /// The scenario's steps, those to come included, and what the run did so far.
        public var scenario: [Step]
        public var happened: [String]
        /// Whether the control buttons can act (only while production goes on).
        public var controllable: Bool
    }

    public struct Step: Codable, Sendable, Equatable {
        public var atSeconds: Int
        public var action: String
        public var group: String
    }

    public struct Region: Codable, Sendable, Equatable {
        public var name: String
        /// [min_lat, max_lat, min_lon, max_lon].
        public var box: [Double]
        public var partitions: [Int]
    }

    /// The drivers at one simulated moment, as parallel arrays (compact JSON).
    public struct Map: Codable, Sendable, Equatable {
        public var simulatedSecond: Double
        public var lat: [Double]
        public var lon: [Double]
        /// offline, available, en_route or on_trip, by index into `statuses`.
        public var status: [Int]
        public var statuses: [String]
        /// Every `sampled`-th driver is drawn (1: all of them).
        public var sampled: Int
    }

    public struct Partition: Codable, Sendable, Equatable {
        public var partition: Int
        public var regions: [String]
        public var logStart: Int64
        public var logEnd: Int64
        /// Events appended per wall second, over the last sampling interval.
        public var eventsPerSecond: Double
    }

    public struct Consumer: Codable, Sendable, Equatable {
        public var id: String
        /// running, stopped or crashed.
        public var state: String
        public var partitions: [Int]
        public var idle: Bool
        public var events: Int
        public var transactions: Int
    }

    public struct PartitionLag: Codable, Sendable, Equatable {
        public var partition: Int
        public var owner: String?
        /// The next offset the group's database stored.
        public var stored: Int64
        public var lag: Int64
        /// Simulated seconds between the newest event produced and the newest the group
        /// stored from this partition (0 when caught up; nil when not known yet).
        public var secondsBehind: Double?
    }

    public struct Group: Codable, Sendable, Equatable {
        public var name: String
        public var database: String
        public var generation: Int32
        /// Stable, or rebalancing while the coordinator forms a new generation.
        public var stable: Bool
        public var consumers: [Consumer]
        public var partitions: [PartitionLag]
        public var lag: Int64
        public var secondsBehind: Double?
        public var events: Int
        /// SQLite transactions the group's writer committed; a naive application would
        /// commit one per event (`events`).
        public var transactions: Int
        public var history: LagHistory.Series
        public var timeline: [RecordedRebalance]
    }

    public var run: Run
    public var regions: [Region]
    public var map: Map?
    public var partitions: [Partition]
    public var groups: [Group]
}
