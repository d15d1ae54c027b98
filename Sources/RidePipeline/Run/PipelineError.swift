import Broker
import KafkaCluster
import KafkaWire
import SQLite

/// Why a data directory could not be taken or used.
public enum DataDirectoryError: Error, Hashable, Sendable, CustomStringConvertible {
    case cannotCreate(path: String, reason: String)
    case notWritable(path: String)
    /// Another process holds the directory; nothing in it was read or changed. `by` lists the
    /// holders found (empty when the system cannot tell).
    case held(path: String, by: [DirectoryHolder])
    /// A fresh run could not remove the previous run's outputs.
    case cannotRemove(path: String, reason: String)
    /// An inspection command found no broker data.
    case noBrokerData(path: String)

    public var description: String {
        switch self {
        case let .cannotCreate(path, reason): return "cannot create the data directory \(path): \(reason)"
        case let .notWritable(path): return "the data directory \(path) is not writable"
        case let .held(path, holders):
            let who = holders.isEmpty ? "another RideStream process" : holders.map(\.description).joined(separator: " and ")
            return "\(path) is in use by \(who); nothing in it was changed. Wait for it to finish or stop it, or choose another --data-dir"
        case let .cannotRemove(path, reason): return "cannot clear the previous run in \(path): \(reason)"
        case let .noBrokerData(path): return "\(path) holds no broker data (no \(path)/broker); run `ridestream simulate` first"
        }
    }

    /// The Kafka port of the process holding the directory, if it serves one.
    public var holderKafkaAddress: String? {
        guard case let .held(_, holders) = self else { return nil }
        return holders.compactMap(\.kafkaAddress).first
    }
}

/// Why a run, or one of its roles, failed. Each case carries its context (group, consumer,
/// file, partition); the errors of the layers below are wrapped, not turned into text.
public indirect enum PipelineError: Error, CustomStringConvertible {
    /// The configuration (with the command line's overrides) cannot be run.
    case configuration(ConfigError)
    case dataDirectory(DataDirectoryError)
    case sink(SinkError)
    /// The built-in broker refused.
    case broker(BrokerError)
    /// A Kafka cluster (through librdkafka) refused.
    case cluster(KafkaClusterError)
    /// A consumer of a group failed; the run stops.
    case consumer(group: GroupName, consumer: String, PipelineError)
    case topicPartitionCount(topic: String, log: String, found: Int, configured: Int, builtIn: Bool)
    /// A run on a cluster needs an empty topic: the same seed would produce the events again.
    case topicNotEmpty(topic: String, log: String, events: Int64)
    case nothingToResume(directory: String, topic: String)
    /// `--resume` found records that are not the events this configuration produces, from
    /// offset `from` of a partition (or more records than the whole run produces there).
    case resumeMismatch(topic: String, partition: PartitionID, from: Offset, runProduces: Offset?, logEnd: Offset)
    /// `--resume` or `--no-fresh` with settings that give other rows than the run's.
    case resumeSettingsChanged(directory: String, recorded: String, configured: String)
    /// The data directory's `run-settings` record cannot be read or written.
    case runSettings(path: String, problem: String)
    /// `--no-fresh` on a directory whose log already holds an earlier run.
    case earlierRun(directory: String, topic: String, events: Int64)
    /// A database is ahead of its log: the log lost events the database has.
    case logBehindDatabase(group: GroupName, path: String, partition: PartitionID, stored: Offset, logEnd: Offset)
    /// Every consumer of a group stopped before the group stored what was produced.
    case noConsumerLeft(group: GroupName)
    /// A role command (`produce`, `consume`) given no broker to reach over the network.
    case remoteLogRequired(role: String)
    /// Cluster mode asked of a build without the KafkaCluster trait.
    case clusterModeUnavailable
    /// `--resume` on a Kafka cluster.
    case resumeNeedsBuiltInBroker
    /// Records read from the log could not be decoded.
    case undecodableRecords(WireError)
    /// The task was cancelled: the run is stopping.
    case cancelled
    /// An error of a type no layer here defines (from a library underneath), kept whole.
    case unexpected(any Error)

    /// Wraps an error of a layer below (broker, cluster, sink) or passes a pipeline error on.
    public init(_ error: any Error) {
        switch error {
        case let error as PipelineError: self = error
        case let error as BrokerError: self = .broker(error)
        case let error as SinkError: self = .sink(error)
        case let error as DataDirectoryError: self = .dataDirectory(error)
        case let error as ConfigError: self = .configuration(error)
        case let error as KafkaClusterError: self = .cluster(error)
        case let error as WireError: self = .undecodableRecords(error)
        case is CancellationError: self = .cancelled
        default: self = .unexpected(error)
        }
    }

    /// Whether a disk refused a write (full, read-only, failing): the log and the databases
    /// hold a consistent prefix of the run, so `--resume` finishes it once there is room.
    public var isStorageFailure: Bool {
        switch self {
        case let .broker(error): return error.code == .kafkaStorageError
        case let .sink(.sqlite(_, error)): return error.isStorageFailure
        case let .consumer(_, _, error): return error.isStorageFailure
        default: return false
        }
    }

    public var description: String {
        switch self {
        case let .configuration(error): return error.description
        case let .dataDirectory(error): return error.description
        case let .sink(error): return error.description
        case let .broker(error): return error.description
        case let .cluster(error): return error.description
        case let .consumer(group, consumer, error): return "group \(group.rawValue), consumer \(consumer): \(error)"
        case let .topicPartitionCount(topic, log, found, configured, builtIn):
            return "the topic '\(topic)' on \(log) has \(found) partitions, the configuration \(configured)"
                + (builtIn ? ": run with --fresh to start over with \(configured)" : ": use another topic or partition count")
        case let .topicNotEmpty(topic, log, events):
            return "the topic '\(topic)' on \(log) already holds \(events) events from an earlier run; "
                + "delete it (e.g. kafka-topics.sh --delete --topic \(topic)) or set another topic.name in the configuration"
        case let .nothingToResume(directory, _):
            return "nothing to resume in \(directory): no run was started there (run without --resume to start one)"
        case let .resumeMismatch(topic, partition, from, runProduces, logEnd):
            let what = runProduces.map { "holds \(logEnd.rawValue) events where this configuration's whole run produces \($0.rawValue)" }
                ?? "does not hold the events this configuration produces, from offset \(from) on"
            return "cannot resume: partition \(partition) of '\(topic)' \(what). It was written by a run with other settings "
                + "(seed, drivers, regions, partitions), holds another producer's records, or lost a batch; resuming would store "
                + "wrong rows. Run without --resume to start afresh"
        case let .resumeSettingsChanged(directory, recorded, configured):
            return "cannot go on with the run in \(directory): it was started with other settings, and going on would store rows "
                + "of other settings after its own. It was started with: \(recorded). This configuration has: \(configured). "
                + "Use the run's settings, or run with --fresh to start afresh"
        case let .runSettings(path, problem):
            return "\(path): \(problem)"
        case let .earlierRun(directory, topic, events):
            return "\(directory) already holds a run (\(events) events in '\(topic)'); producing again would store every event twice. "
                + "Run with --resume to finish that run, or without --no-fresh to start over"
        case let .logBehindDatabase(_, path, partition, stored, logEnd):
            return "\(path): partition \(partition) is stored up to offset \(stored) but the log ends at \(logEnd); "
                + "the log lost events the database has (run with --fresh)"
        case let .noConsumerLeft(group):
            return "group \(group.rawValue) has no running consumer left to store the rest of the run"
        case let .remoteLogRequired(role):
            return "`ridestream \(role)` runs one role against a broker reached over the network: give --bootstrap HOST:PORT "
                + "(a Kafka cluster, or `ridestream broker serve`) or set broker.mode: kafka; `ridestream simulate` runs every role in one process"
        case .clusterModeUnavailable:
            return "broker.mode kafka (--bootstrap) needs cluster mode, which this build leaves out: "
                + "apt-get install librdkafka-dev, then build with --traits KafkaCluster"
        case .resumeNeedsBuiltInBroker:
            return "--resume reads the built-in broker's log; on a Kafka cluster, restart the role commands instead (`ridestream produce`, `ridestream consume`)"
        case let .undecodableRecords(error):
            return "records in the log cannot be decoded: \(error)"
        case .cancelled:
            return "the run was cancelled"
        case let .unexpected(error):
            return "\(error)"
        }
    }
}
