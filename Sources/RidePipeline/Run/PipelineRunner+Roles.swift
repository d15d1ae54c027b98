import Foundation
import KafkaWire
import Logging
import ServiceLifecycle
import UnixSignals

/// The pipeline's roles run apart — the simulator in one process, a group's consumers in
/// others, on other machines if need be — against a Kafka-protocol broker (a Kafka cluster
/// or `ridestream broker serve`). Consumers of one group in several processes share the
/// group's SQLite file (each takes the data directory's lock shared); each batch's
/// stored-offset check and write happen in one write-locked transaction, so exactly-once
/// holds across processes too.
extension PipelineRunner {
    /// What `ridestream produce` did.
    public struct ProducerReport: Sendable {
        public var events: Int
        public var eventsPerPartition: [Int64]
        public var simulatedSeconds: Int
        public var stoppedEarly: Bool
        public var wallSeconds: Double
    }

    /// What `ridestream consume` did.
    public struct ConsumerReport: Sendable {
        public var group: GroupName
        public var database: String
        /// Events and transactions this process wrote.
        public var events: Int
        public var transactions: Int
        public var consumers: [RunSummary.Consumer]
        /// The group's stored offsets and the log ends, per partition, at exit.
        public var storedOffsets: [Int64]
        public var logEnds: [Int64]
        public var stoppedBySignal: Bool
    }

    /// The simulator alone: produces the configured run's events and returns when every one
    /// is stored. It writes nothing locally, so it takes no data directory. The scenario
    /// (consumers added or removed) belongs to `simulate` and is skipped.
    public func runProducer() async throws(PipelineError) -> ProducerReport {
        try requireRemoteLog("produce")
        let wallStart = ContinuousClock.now
        let log = try openLog(nil)
        do {
            let partitionCount = try await preparedTopic(log)
            try await requireEmptyTopic(log, partitionCount: partitionCount)
            let state = RunState(totalTicks: configuration.ticks, simulationStartMs: configuration.startTime)
            let producer = ProducerService(ProductionLoop.Production(
                configuration: configuration, log: log, partitionCount: partitionCount, state: state, terminal: terminal
            ))
            var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
            if options.showProgress {
                services.append(.init(service: ProgressService(source: RunProgress(state: state, groups: []), terminal: terminal)))
            }
            services.append(.init(service: producer, successTerminationBehavior: .gracefullyShutdownGroup))
            try await runServices(services)
            let snapshot = state.snapshot
            let ends = try await logEnds(log, partitionCount: partitionCount)
            try await log.close()
            return ProducerReport(
                events: snapshot.produced, eventsPerPartition: ends.map(\.rawValue), simulatedSeconds: configuration.second(ofTick: snapshot.ticks),
                stoppedEarly: snapshot.stoppedEarly, wallSeconds: Stopwatch.seconds(ContinuousClock.now - wallStart)
            )
        } catch {
            try? await log.close()
            throw error
        }
    }

    /// `count` consumers of one group, writing the group's database in the data directory,
    /// until a stop signal — or, with `exitWhenIdle`, once the group has stored everything in
    /// the log and the log has not grown for that long.
    public func runConsumers(group name: GroupName, count: Int, exitWhenIdle: Duration?) async throws(PipelineError) -> ConsumerReport {
        try requireRemoteLog("consume")
        let directory: DataDirectory
        do { directory = try DataDirectory.acquire(configuration.dataDirectory, access: .shared, holder: options.holder) } catch {
            throw .dataDirectory(error)
        }
        holdDirectory(directory)
        let log: any EventLog
        do {
            log = try openLog(nil)
        } catch {
            directory.discardIfCreated()
            throw error
        }
        var opened: GroupService?
        let service: GroupService
        let partitionCount: Int
        do {
            partitionCount = try await preparedTopic(log)
            let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "host"
            service = try await GroupService.open(
                group: name, consumers: count, log: log, databasePath: directory.databasePath(name), configuration: configuration,
                partitionCount: partitionCount, completion: .untilStopped(exitWhenIdle: exitWhenIdle), state: RunState(totalTicks: 0),
                namePrefix: "\(name.rawValue)@\(host):\(ProcessInfo.processInfo.processIdentifier)", logger: logger
            )
            opened = service
            try await service.startConsumers()
        } catch {
            if let opened {
                await opened.fleet.stopAll()
                await opened.writer.close()
            }
            try? await log.close()  // failing anyway
            directory.discardIfCreated()
            throw PipelineError(error)
        }
        do {
            var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
            if options.showProgress {
                let progress = GroupProgress(group: name, log: log, writer: service.writer, topic: configuration.topic, partitions: partitionCount)
                services.append(.init(service: ProgressService(source: progress, terminal: terminal)))
            }
            services.append(.init(service: service, successTerminationBehavior: .gracefullyShutdownGroup))
            try await runServices(services)
            let ends = try await logEnds(log, partitionCount: partitionCount)
            let stored = service.finalOffsets
            try await log.close()
            return ConsumerReport(
                group: name, database: directory.databasePath(name), events: await service.writer.events,
                transactions: await service.writer.transactions, consumers: service.summary?.consumers ?? [],
                storedOffsets: (0 ..< partitionCount).map { stored[PartitionID($0)]?.rawValue ?? 0 }, logEnds: ends.map(\.rawValue),
                stoppedBySignal: service.stoppedBySignal
            )
        } catch {
            try? await log.close()
            throw error
        }
    }

    private func requireRemoteLog(_ role: String) throws(PipelineError) {
        guard case .kafka = configuration.brokerMode else { throw .remoteLogRequired(role: role) }
    }
}

/// `consume`'s progress: the group's stored offsets (read from the file, which other
/// processes of the group write too) against the log's ends.
private final class GroupProgress: ProgressSource {
    let group: GroupName
    let log: any EventLog
    let writer: SinkWriter
    let topic: String
    let partitions: Int

    init(group: GroupName, log: any EventLog, writer: SinkWriter, topic: String, partitions: Int) {
        self.group = group
        self.log = log
        self.writer = writer
        self.topic = topic
        self.partitions = partitions
    }

    func parts(final: Bool) async -> [[String]]? {
        let ids = (0 ..< partitions).map(PartitionID.init)
        var end: Int64 = 0
        for partition in ids {
            // A cluster that does not answer for a moment only skips a frame.
            guard let bounds = try? await log.bounds(topic, partition: partition) else { return nil }
            end += bounds.end.rawValue
        }
        guard let stored = try? await writer.storedOffsets(ids) else { return nil }
        let total = stored.values.reduce(Int64(0)) { $0 + $1.rawValue }
        return [["\(group.rawValue): \(total) of \(end) events stored, lag \(max(0, end - total))", "this process: \(await writer.events) events"]]
    }
}
