import CPUTime

/// What a run did, printed at the end and written by `--json-summary`.
public struct RunSummary: Codable, Sendable {
    public struct Consumer: Codable, Sendable {
        public var id: String
        public var partitions: [Int]
        public var records: Int
        public var transactions: Int
        public var idle: Bool
        /// "running", "stopped" (left the group) or "crashed" (scenario).
        public var state: ConsumerState
        /// Offset commits to the log that were refused (the database kept the progress).
        public var commitFailures: Int

        enum CodingKeys: String, CodingKey {
            case id, partitions, records, transactions, idle, state
            case commitFailures = "commit_failures"
        }
    }

    public struct Group: Codable, Sendable {
        public var database: String
        public var consumers: [Consumer]
        public var events: Int
        public var transactions: Int
        public var rebalances: Int
        public var generation: Int32
        public var commitFailures: Int
        /// Events retention deleted before the group stored them.
        public var gaps: [LogGap]
        /// The rebalances recorded in the group's database, by generation.
        public var timeline: [RecordedRebalance] = []

        enum CodingKeys: String, CodingKey {
            case database, consumers, events, transactions, rebalances, generation, gaps, timeline
            case commitFailures = "commit_failures"
        }
    }

    public var eventsProduced: Int
    /// Events already in the log when a `--resume` run started (0 otherwise).
    public var resumedFrom: Int
    public var eventsPerPartition: [Int]
    public var partitionRegions: [String]
    public var simulatedSeconds: Int
    public var stoppedEarly: Bool
    public var wallSeconds: Double
    public var eventsPerSecond: Double
    public var groups: [String: Group]
    public var scenario: [String]
    /// Scenario steps after the run's end, not applied.
    public var skippedSteps: [String]
    /// Where the run's CPU time went, by stage (`StageBreakdown`).
    public var cpu = StageBreakdown(seconds: [:], processSeconds: 0)

    enum CodingKeys: String, CodingKey {
        case eventsProduced = "events_produced"
        case resumedFrom = "resumed_from"
        case eventsPerPartition = "events_per_partition"
        case partitionRegions = "partition_regions"
        case simulatedSeconds = "simulated_seconds"
        case stoppedEarly = "stopped_early"
        case wallSeconds = "wall_seconds"
        case eventsPerSecond = "events_per_second"
        case groups
        case scenario
        case skippedSteps = "skipped_steps"
        case cpu = "cpu_seconds"
    }
}
