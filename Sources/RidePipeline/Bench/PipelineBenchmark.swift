import CPUTime
import Foundation
import KafkaCluster
import KafkaWire
import RideModel

/// `bench pipeline`: why the broker is there, and how close the pipeline comes to the limit
/// its databases set. The same simulated events go into the same three databases several
/// ways, in one process:
///
/// - naive: every event written straight into each database as its own transaction, with
///   SQLite's default durability (rollback journal, `synchronous=FULL`), as an application
///   without a broker would;
/// - pipeline: the whole run — simulator, broker, three consumer groups — with its CPU time
///   by stage (`StageBreakdown`);
/// - ceiling: the sinks' SQLite work alone (`SQLiteCeiling`): the statements the three
///   groups execute for these events, recorded beforehand and replayed into fresh files, one
///   thread per file and one thread for all;
/// - direct: the same processors fed simulated events in batches, no broker and no JSON
///   (what the pipeline costs beyond its Swift processing);
/// - kafka mode, when a cluster is given: the whole run again through librdkafka;
/// - watched, when a watcher is given: the whole run again with it observing (the dashboard),
///   before or after the plain pipeline by turns, so its cost is a ratio of neighbours.
///
/// Each of `runs` rounds measures all of them in turn, so drift on a shared machine touches
/// every figure alike; figures are medians, ratios the median of each round's ratio.
public struct PipelineBenchmark {
    public struct Round: Sendable {
        public var naive: Double
        public var pipeline: Double
        /// The sinks' SQLite work alone, each file on a thread of its own (events/s).
        public var ceilingPerFile: Double
        /// The same on one thread, file after file (events/s).
        public var ceilingOneThread: Double
        public var direct: Double
        public var kafkaMode: Double?
        public var watched: Double?
        /// Where the pipeline run's CPU time went.
        public var cpu: StageBreakdown

        /// The better of the two ways of doing the SQLite work alone.
        public var ceiling: Double { max(ceilingPerFile, ceilingOneThread) }
    }

    public struct Result: Sendable {
        public var rounds: [Round]
        public var naiveEvents: Int
        public var events: Int
        /// Bytes of the recorded SQLite workload the ceiling replays.
        public var workloadBytes: Int

        public var naiveEventsPerSecond: Double { median(rounds.map(\.naive)) }
        public var pipelineEventsPerSecond: Double { median(rounds.map(\.pipeline)) }
        public var ceilingEventsPerSecond: Double { median(rounds.map(\.ceiling)) }
        public var ceilingPerFileEventsPerSecond: Double { median(rounds.map(\.ceilingPerFile)) }
        public var ceilingOneThreadEventsPerSecond: Double { median(rounds.map(\.ceilingOneThread)) }
        public var directEventsPerSecond: Double { median(rounds.map(\.direct)) }
        /// The same pipeline on a Kafka-protocol cluster through librdkafka, when measured.
        public var kafkaModeEventsPerSecond: Double? { rounds.first?.kafkaMode == nil ? nil : median(rounds.compactMap(\.kafkaMode)) }

        public var pipelineOverNaive: Double { median(rounds.map { $0.pipeline / $0.naive }) }
        public var pipelineOverCeiling: Double { median(rounds.map { $0.pipeline / $0.ceiling }) }
        public var pipelineOverDirect: Double { median(rounds.map { $0.pipeline / $0.direct }) }
        /// The stage breakdown of the round whose pipeline rate is the median.
        public var medianCPU: StageBreakdown {
            let sorted = rounds.sorted { $0.pipeline < $1.pipeline }
            return sorted[(sorted.count - 1) / 2].cpu
        }
        public var watchedEventsPerSecond: Double? { rounds.first?.watched == nil ? nil : median(rounds.compactMap(\.watched)) }
        public var watchedOverPipeline: Double? {
            rounds.first?.watched == nil ? nil : median(rounds.compactMap { round in round.watched.map { $0 / round.pipeline } })
        }
        public var kafkaModeOverPipeline: Double? {
            rounds.first?.kafkaMode == nil ? nil : median(rounds.compactMap { round in round.kafkaMode.map { $0 / round.pipeline } })
        }
    }

    public var configuration: PipelineConfiguration
    public var naiveEvents: Int
    public var directory: String
    public var runs: Int
    /// A cluster to run the pipeline on a second time (cluster mode), or nil.
    public var cluster: KafkaSettings?
    /// Observers to run the pipeline with a second time (the dashboard), or nil.
    public var watcher: PipelineRunner.Observers?

    public init(configuration: PipelineConfiguration, naiveEvents: Int, directory: String, runs: Int = 3) {
        self.configuration = configuration
        self.naiveEvents = naiveEvents
        self.directory = directory
        self.runs = runs
    }

    var events: Int { configuration.drivers * Int(Int64(configuration.durationSeconds) * 1000 / configuration.tickMs) }

    public func run(progress: (String) -> Void = { _ in }) async throws -> Result {
        progress("ceiling: recording the sinks' SQLite work for \(events) events")
        var ceilingConfiguration = configuration
        ceilingConfiguration.scenario = []
        let ceiling = SQLiteCeiling(configuration: ceilingConfiguration)
        let workload = try await ceiling.record()
        progress("ceiling: \(workload.bytes / 1_048_576) MiB of recorded statement calls")
        var rounds: [Round] = []
        for round in 1 ... runs {
            progress("round \(round)/\(runs)")
            rounds.append(try await measure(round: round, ceiling: ceiling, workload: workload, progress: progress))
        }
        return Result(rounds: rounds, naiveEvents: naiveEvents, events: events, workloadBytes: workload.bytes)
    }

    private func measure(round: Int, ceiling: SQLiteCeiling, workload: SQLiteCeiling.Workload, progress: (String) -> Void) async throws -> Round {
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }

        progress("naive: \(naiveEvents) events, one transaction per event per database")
        let naive = try await writeDirectly(limit: naiveEvents, batch: 1, tuned: false, into: directory + "/naive")
        progress("pipeline: \(events) events through the broker")
        var pipelineConfiguration = configuration
        pipelineConfiguration.dataDirectory = directory + "/pipeline"
        pipelineConfiguration.scenario = []
        var options = RunOptions()
        options.showProgress = false
        var watched: Double?
        func measureWatched() async throws {
            guard let watcher else { return }
            progress("watched: \(events) events through the broker, observed")
            var watchedConfiguration = pipelineConfiguration
            watchedConfiguration.dataDirectory = directory + "/watched"
            let run = try await PipelineRunner(configuration: watchedConfiguration, options: options, observers: watcher).run()
            watched = Double(run.eventsProduced) / run.wallSeconds
        }
        if round % 2 == 0 { try await measureWatched() }
        let summary = try await PipelineRunner(configuration: pipelineConfiguration, options: options).run()
        if round % 2 == 1 { try await measureWatched() }
        progress("ceiling: the recorded SQLite work replayed, one thread per file and one thread for all")
        let timing = try await ceiling.measure(workload, directory: directory + "/ceiling")
        progress("direct: \(events) events through the processors straight into the databases")
        let direct = try await writeDirectly(limit: events, batch: configuration.batchSize, tuned: true, into: directory + "/direct")
        var kafkaMode: Double?
        if let cluster {
            progress("kafka mode: \(events) events through \(cluster.bootstrapServers) with librdkafka")
            var clusterConfiguration = pipelineConfiguration
            clusterConfiguration.dataDirectory = directory + "/kafka"
            clusterConfiguration.brokerMode = .kafka(cluster)
            // A run on a cluster refuses a topic that already holds events: one per round
            // (within Kafka's 249 characters whatever the configured name's length).
            clusterConfiguration.topic = "\(configuration.topic.prefix(230))-bench-\(round)"
            let run = try await PipelineRunner(configuration: clusterConfiguration, options: options).run()
            kafkaMode = Double(run.eventsProduced) / run.wallSeconds
        }
        return Round(
            naive: Double(naiveEvents) / naive, pipeline: Double(summary.eventsProduced) / summary.wallSeconds,
            ceilingPerFile: Double(workload.events) / timing.oneThreadPerFile, ceilingOneThread: Double(workload.events) / timing.oneThreadForAll,
            direct: Double(events) / direct, kafkaMode: kafkaMode, watched: watched, cpu: summary.cpu
        )
    }

    /// Simulates `limit` events and writes them into the three databases in transactions of
    /// `batch` events (each database its own transaction); returns the seconds taken.
    private func writeDirectly(limit: Int, batch: Int, tuned: Bool, into path: String) async throws -> Double {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        var writers: [SinkWriter] = []
        for group in GroupName.allCases {
            writers.append(try await SinkWriter.open(
                group: group, path: path + "/" + group.databaseFile, topic: configuration.topic, tariff: configuration.tariff, tuned: tuned
            ))
        }
        var simulator = Simulator(settings: configuration.simulatorSettings)
        var pending: [PositionedEvent] = []
        var offset = Offset.zero
        var written = Offset.zero
        let clock = ContinuousClock()
        let start = clock.now
        while offset.rawValue < Int64(limit) {
            for event in simulator.step() where offset.rawValue < Int64(limit) {
                pending.append(PositionedEvent(partition: PartitionID(0), offset: offset, event: event))
                offset = offset + 1
                if pending.count >= batch {
                    for writer in writers {
                        _ = try await writer.write(consumer: "direct", partition: PartitionID(0), firstOffset: written, nextOffset: offset, events: pending[...])
                    }
                    written = offset
                    pending.removeAll(keepingCapacity: true)
                }
            }
        }
        if !pending.isEmpty {
            for writer in writers {
                _ = try await writer.write(consumer: "direct", partition: PartitionID(0), firstOffset: written, nextOffset: offset, events: pending[...])
            }
        }
        let seconds = Stopwatch.seconds(clock.now - start)
        for writer in writers { await writer.close() }
        return seconds
    }
}
