import RidePipeline

/// What the dashboard page shows, at one moment: the JSON of `GET /api/snapshot` and of each
/// `snapshot` event of `GET /api/stream` (keys in snake_case).
///
/// Of a run (`simulate --dashboard`, `ridestream dashboard`): `run`, the city's `regions` and
/// `map`, its topic's partitions and its groups with what their databases stored. Of a broker
/// (`broker serve --dashboard`): `broker`, every topic's partitions and every group with its
/// members and committed offsets; no `run`, no regions.
///
/// Every list is bounded whatever the run's size or the broker's clients: the map carries at
/// most `DashboardSnapshot.mapLimit` drivers (every k-th driver beyond that), each group's lag
/// history at most `LagHistory.capacity` points; a run's timeline every recorded generation
/// (a few per scenario step or button press), a broker's the newest
/// `BrokerWatcher.timelineLimit` per group, of at most `BrokerWatcher.groupLimit` groups and
/// `partitionLimit` partitions.
public struct DashboardSnapshot: Codable, Sendable, Equatable {
    /// Drivers drawn on the map at most.
    public static let mapLimit = 5000
    /// Partitions listed at most (a broker's clients may create many topics).
    public static let partitionLimit = 1000

    public struct Run: Codable, Sendable, Equatable {
        /// starting, producing, draining or finished.
        public var phase: String
        public var topic: String
        /// nil: not known (a stored run made with other settings than the configuration given).
        public var seed: UInt64?
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

    /// The broker a `broker serve --dashboard` page shows.
    public struct Broker: Codable, Sendable, Equatable {
        /// host:port of its Kafka listener.
        public var address: String
        public var topics: Int
        public var groups: Int
        /// Seconds since the dashboard started watching (the timeline's and charts' clock).
        public var wallSeconds: Double
        /// Partitions left out of `partitions` past `DashboardSnapshot.partitionLimit`.
        public var partitionsNotShown: Int
        /// Groups left out of `groups` past `BrokerWatcher.groupLimit`.
        public var groupsNotShown: Int
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
        public var topic: String
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
        /// Its client id and host (a broker's members).
        public var client: String?
    }

    public struct PartitionLag: Codable, Sendable, Equatable {
        public var topic: String
        public var partition: Int
        public var owner: String?
        /// The next offset the group's database stored (a run), or the group committed (a
        /// broker; nil: none committed yet).
        public var stored: Int64?
        /// Events in the log past `stored` (nil: nothing stored or committed yet).
        public var lag: Int64?
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
        /// The coordinator's state (Empty, PreparingRebalance, CompletingRebalance, Stable) for a
        /// broker's group.
        public var state: String?
        public var consumers: [Consumer]
        public var partitions: [PartitionLag]
        public var lag: Int64
        public var secondsBehind: Double?
        /// What the group's database stored (nil: not a RideStream sink, a broker's group).
        public var events: Int?
        /// SQLite transactions the group's writer committed; a naive application would
        /// commit one per event (`events`).
        public var transactions: Int?
        public var history: LagHistory.Series
        public var timeline: [RecordedRebalance]
    }

    public var run: Run?
    public var broker: Broker?
    public var regions: [Region]
    public var map: Map?
    public var partitions: [Partition]
    public var groups: [Group]
}
