import KafkaCluster
import Foundation
import RideModel

/// `bench pipeline`: why the broker is there. The same simulated events go into the same
/// three databases three ways, in one process:
///
/// - naive: every event written straight into each database as its own transaction, with
///   SQLite's default durability (rollback journal, `synchronous=FULL`), as an application
///   without a broker would;
/// - pipeline: the whole run — simulator, broker, three consumer groups;
/// - ceiling: the same rows batch-inserted straight into the three databases, no broker.
public struct PipelineBenchmark {
    public struct Result: Sendable {
        public var naiveEventsPerSecond: Double
        public var pipelineEventsPerSecond: Double
        public var ceilingEventsPerSecond: Double
        public var naiveEvents: Int
        public var events: Int
        /// The same pipeline on a Kafka-protocol cluster through librdkafka, when measured.
        public var kafkaModeEventsPerSecond: Double?

        public var pipelineOverNaive: Double { pipelineEventsPerSecond / naiveEventsPerSecond }
        public var pipelineOverCeiling: Double { pipelineEventsPerSecond / ceilingEventsPerSecond }
    }

    public var configuration: PipelineConfiguration
    public var naiveEvents: Int
    public var directory: String
    /// A cluster to run the pipeline on a second time (cluster mode), or nil.
    public var cluster: KafkaSettings?

    public init(configuration: PipelineConfiguration, naiveEvents: Int, directory: String) {
        self.configuration = configuration
        self.naiveEvents = naiveEvents
        self.directory = directory
    }

    var events: Int { configuration.drivers * Int(Int64(configuration.durationSeconds) * 1000 / configuration.tickMs) }

    public func run(progress: (String) -> Void = { _ in }) async throws -> Result {
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
        let summary = try await PipelineRunner(configuration: pipelineConfiguration, options: options, output: { _ in }).run()
        progress("ceiling: \(events) events batch-inserted straight into the databases")
        let ceiling = try await writeDirectly(limit: events, batch: configuration.batchSize, tuned: true, into: directory + "/ceiling")
        var kafkaMode: Double?
        if let cluster {
            progress("kafka mode: \(events) events through \(cluster.bootstrapServers) with librdkafka")
            var clusterConfiguration = pipelineConfiguration
            clusterConfiguration.dataDirectory = directory + "/kafka"
            clusterConfiguration.brokerMode = .kafka(cluster)
            let run = try await PipelineRunner(configuration: clusterConfiguration, options: options, output: { _ in }).run()
            kafkaMode = Double(run.eventsProduced) / run.wallSeconds
        }
        return Result(
            naiveEventsPerSecond: Double(naiveEvents) / naive, pipelineEventsPerSecond: Double(summary.eventsProduced) / summary.wallSeconds,
            ceilingEventsPerSecond: Double(events) / ceiling, naiveEvents: naiveEvents, events: events, kafkaModeEventsPerSecond: kafkaMode
        )
    }

    /// Simulates `limit` events and writes them into the three databases in transactions of
    /// `batch` events (each database its own transaction); returns the seconds taken.
    private func writeDirectly(limit: Int, batch: Int, tuned: Bool, into path: String) async throws -> Double {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        var writers: [SinkWriter] = []
        for group in GroupName.allCases {
            writers.append(try SinkWriter(
                group: group, path: path + "/" + group.databaseFile, topic: configuration.topic, tariff: configuration.tariff, tuned: tuned
            ))
        }
        var simulator = Simulator(settings: configuration.simulatorSettings)
        var pending: [PositionedEvent] = []
        var offset: Int64 = 0
        var written: Int64 = 0
        let clock = ContinuousClock()
        let start = clock.now
        while offset < Int64(limit) {
            for event in simulator.step() where offset < Int64(limit) {
                pending.append(PositionedEvent(partition: 0, offset: offset, event: event))
                offset += 1
                if pending.count >= batch {
                    for writer in writers {
                        _ = try await writer.write(consumer: "direct", partition: 0, firstOffset: written, nextOffset: offset, events: pending)
                    }
                    written = offset
                    pending.removeAll(keepingCapacity: true)
                }
            }
        }
        if !pending.isEmpty {
            for writer in writers {
                _ = try await writer.write(consumer: "direct", partition: 0, firstOffset: written, nextOffset: offset, events: pending)
            }
        }
        return Stopwatch.seconds(clock.now - start)
    }
}
