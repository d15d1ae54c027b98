import KafkaCluster
import Broker
import LogStore
import RideModel

/// The three consumer groups of the pipeline, each with its own SQLite file.
public enum GroupName: String, CaseIterable, Hashable, Sendable, Comparable {
    case fare
    case analytics
    case support

    public var databaseFile: String { rawValue + ".sqlite" }
    public static func < (lhs: GroupName, rhs: GroupName) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The fare tariff: `(base + perKm × km + perMinute × minutes) × surge`, at least `minimum`,
/// rounded to 2 decimals.
public struct Tariff: Hashable, Sendable {
    public var base = 40.0
    public var perKm = 12.0
    public var perMinute = 1.5
    public var minimum = 60.0

    public init() {}

    public func fare(distanceKm: Double, durationSeconds: Double, surge: Double) -> Double {
        let raw = (base + perKm * distanceKm + perMinute * durationSeconds / 60) * surge
        return (max(minimum, raw) * 100).rounded() / 100
    }
}

/// A scripted change to a group during a run, to show rebalancing.
public struct ScenarioStep: Hashable, Sendable {
    public enum Action: String, Hashable, Sendable, CaseIterable {
        /// Start one more consumer in the group.
        case addConsumer = "add_consumer"
        /// Stop one consumer cleanly: it leaves the group.
        case removeConsumer = "remove_consumer"
        /// Stop one consumer without leaving: the group notices when its session times out.
        case crashConsumer = "crash_consumer"
    }

    /// Simulated seconds from the start of the run.
    public var atSeconds: Int
    public var action: Action
    public var group: GroupName
    /// Where the step is written: its line in the configuration file, for messages.
    public var line: Int?

    public init(atSeconds: Int, action: Action, group: GroupName, line: Int? = nil) {
        self.atSeconds = atSeconds
        self.action = action
        self.group = group
        self.line = line
    }

    /// "crash_consumer fare at 300 s".
    public var description: String { "\(action.rawValue) \(group.rawValue) at \(atSeconds) s" }
}

/// Everything a run uses, from `Config/ridestream.yaml` and command-line overrides.
public struct PipelineConfiguration: Hashable, Sendable {
    public var drivers = 1000
    public var durationSeconds = 600
    public var tickMs: Int64 = 1000
    public var seed: UInt64 = 42
    public var startTime: Int64 = 1_767_600_000_000
    /// `simulation.realtime`: pace the run to the wall clock (a speed of 1).
    public var realtime = false
    /// Simulated seconds per wall second (`--speed`); nil: `realtime`'s pace, or unpaced.
    public var speed: Double?
    public var regions = Region.bengaluru
    public var topic = "driver-locations"
    public var partitions = 6
    /// Region name → partitions; regions left out get the default spread.
    public var regionPartitions: [String: [Int]] = [:]
    public var consumers: [GroupName: Int] = [.fare: 2, .analytics: 3, .support: 1]
    /// Events per SQLite transaction at most.
    public var batchSize = 5000
    /// How long a consumer waits to fill a batch before writing what it has (ms).
    public var lingerMs: Int64 = 200
    public var sessionTimeoutMs: Int32 = 3000
    public var heartbeatIntervalMs: Int64 = 300
    public var assignor = "range"
    public var producerBatchBytes = 65536
    public var producerLingerMs: Int64 = 5
    public var tariff = Tariff()
    public var dataDirectory = "Data"
    /// The built-in broker's log settings (embedded mode).
    public var log = LogConfiguration()
    /// How often the built-in broker's retention (and roll by age) runs, in ms
    /// (`broker.retention_check_ms`; Kafka's `log.retention.check.interval.ms`, 5 minutes).
    public var retentionCheckIntervalMs: Int64 = 300_000
    /// Which log the pipeline runs on.
    public var brokerMode: BrokerMode = .embedded
    /// librdkafka properties from `broker.client_properties` (security, timeouts, ...), used
    /// whenever the pipeline runs on a Kafka cluster (`broker.mode: kafka` or `--bootstrap`).
    public var kafkaClientProperties: [String: String] = [:]
    /// Replicas of the topic when the pipeline creates it on a Kafka cluster.
    public var replicationFactor = 1
    public var scenario: [ScenarioStep] = []

    public init() {
        log.segmentBytes = 256 << 20
    }

    public var simulatorSettings: SimulatorSettings {
        SimulatorSettings(drivers: drivers, seed: seed, tickMs: tickMs, startTime: startTime, regions: regions)
    }

    /// The partitions of each region: the configured table, and for regions it leaves out the
    /// default spread — with at least as many partitions as regions, partition p belongs to
    /// region p mod R (so every partition carries traffic); with fewer, region r uses partition
    /// r mod P.
    public var partitionTable: [String: [Int]] {
        var table: [String: [Int]] = [:]
        for (index, region) in regions.enumerated() {
            if let configured = regionPartitions[region.name] {
                table[region.name] = configured
            } else if partitions >= regions.count {
                table[region.name] = stride(from: index, to: partitions, by: regions.count).map { $0 }
            } else {
                table[region.name] = [index % partitions]
            }
        }
        return table
    }
}

/// The log under the pipeline (`broker.mode` in the configuration).
public enum BrokerMode: Hashable, Sendable {
    /// The built-in broker, in this process, with its log in `<data_dir>/broker`.
    case embedded
    /// A Kafka-protocol cluster (Apache Kafka, Redpanda, `ridestream broker serve`) through
    /// librdkafka; needs the KafkaCluster build trait.
    case kafka(KafkaSettings)
}

extension PipelineConfiguration {
    /// For each of `count` partitions, the regions whose events it carries, by name.
    public func regionsByPartition(count: Int) -> [[String]] {
        let table = partitionTable
        return (0 ..< count).map { partition in table.filter { $0.value.contains(partition) }.keys.sorted() }
    }

    /// Simulated seconds per wall second the producer keeps to; nil: as fast as it goes.
    public var pace: Double? { speed ?? (realtime ? 1 : nil) }
}
