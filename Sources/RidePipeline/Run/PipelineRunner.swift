import Broker
import CPUTime
import Foundation
import Groups
import KafkaWire
import Logging
import LogStore
import RideModel
import ServiceLifecycle
import Synchronization
import UnixSignals

/// Runs the whole simulation in one process: the built-in broker (or a Kafka cluster), the
/// driver simulator as producer, and the fare, analytics and support groups writing their
/// SQLite files.
///
/// A run's life:
/// 1. the scenario is checked against the consumer counts (refused before anything is
///    written);
/// 2. the data directory is taken (`DataDirectory`: its lock first, before anything in it is
///    read or removed); a fresh run then clears the previous run's outputs;
/// 3. the log and the topic are opened and checked, the groups' databases opened and their
///    consumers started; a failure here leaves no directory behind if the run created it;
/// 4. the parts run as services of one `ServiceGroup`, in this order: progress line, broker
///    maintenance, any extra services (the Kafka port), the groups, the producer. Graceful
///    shutdown (the end of production, SIGINT / SIGTERM, `stop()`) goes in reverse: the
///    producer stops at the end of its tick and publishes the log's ends, each group stores
///    everything up to them, then the port and maintenance stop;
/// 5. the summary is taken and the log closed.
public final class PipelineRunner: Sendable {
    public let configuration: PipelineConfiguration
    public let options: RunOptions
    let terminal: Terminal
    let logger: Logger
    private let extraServices: ExtraServices
    private let observers: Observers
    private let group = Mutex<ServiceGroup?>(nil)
    /// The data directory a run took: held for as long as this runner lives (in the command
    /// line, until the process ends), not only while the run's services run.
    private let held = Mutex<DataDirectory?>(nil)
    private let stopRequested = Atomic<Bool>(false)

    /// Services to run beside the pipeline on the run's built-in broker (`simulate --serve`
    /// adds the Kafka port), with the address to record in the data directory's lock.
    public typealias ExtraServices = @Sendable (Broker) -> (services: [any Service], kafkaAddress: String?)
    /// Services that watch the run as it goes (`simulate --dashboard`).
    public typealias Observers = @Sendable (LiveRun) -> [any Service]

    public init(
        configuration: PipelineConfiguration, options: RunOptions, terminal: Terminal = .silent,
        logger: Logger = Logger(label: "ridestream"), extraServices: @escaping ExtraServices = { _ in ([], nil) },
        observers: @escaping Observers = { _ in [] }
    ) {
        self.observers = observers
        self.configuration = configuration
        self.options = options
        self.terminal = terminal
        self.logger = logger
        self.extraServices = extraServices
    }

    /// Keeps the directory held for as long as this runner lives.
    func holdDirectory(_ directory: DataDirectory) { held.withLock { $0 = directory } }

    /// Asks a running run to stop as Ctrl-C would: production ends at the current tick and
    /// every group stores what was produced.
    public func stop() async {
        stopRequested.store(true, ordering: .relaxed)
        let running = group.withLock { $0 }
        await running?.triggerGracefulShutdown()
    }

    /// Runs to the end of the configured duration (or a stop) and returns the summary.
    public func run() async throws(PipelineError) -> RunSummary {
        let wallStart = ContinuousClock.now
        held.withLock { previous in
            previous?.release()  // an earlier run of this runner
            previous = nil
        }
        let plan: ScenarioPlan
        do { plan = try ScenarioPlan.make(configuration, file: "configuration") } catch { throw .configuration(error) }
        let directory: DataDirectory
        do { directory = try DataDirectory.acquire(configuration.dataDirectory, access: .exclusive, holder: options.holder) } catch {
            throw .dataDirectory(error)
        }
        holdDirectory(directory)
        for line in plan.skippedLines(durationSeconds: configuration.durationSeconds) { terminal.line(line) }
        let prepared: PreparedRun
        do {
            prepared = try await prepare(directory, plan: plan)
        } catch {
            directory.discardIfCreated()
            throw error
        }
        if let address = prepared.kafkaAddress { directory.announce(kafkaAddress: address) }
        do {
            try await runServices(prepared.services)
        } catch {
            try? await prepared.log.close()
            throw error
        }
        let summary = makeSummary(prepared, plan: plan, wallSeconds: Stopwatch.seconds(ContinuousClock.now - wallStart))
        try await prepared.log.close()
        return summary
    }

    /// What `prepare` opened.
    struct PreparedRun {
        var log: any EventLog
        var partitionCount: Int
        var state: RunState
        var groups: [GroupService]
        var services: [ServiceGroupConfiguration.ServiceConfiguration]
        var kafkaAddress: String?
        /// False when resuming a run that had produced something: its scenario already ran.
        var playsScenario: Bool
    }

    private func prepare(_ directory: DataDirectory, plan: ScenarioPlan) async throws(PipelineError) -> PreparedRun {
        if options.fresh && !options.resume {
            let removed: [String]
            do { removed = try directory.removePreviousRun() } catch { throw .dataDirectory(error) }
            if !removed.isEmpty { terminal.line("fresh run: removed the previous run's \(removed.joined(separator: ", ")) in \(directory.path)/") }
        }
        let stages = StageTimes()
        let log = try openLog(directory, stages: stages)
        var groups: [GroupService] = []
        do {
            let partitionCount = try await preparedTopic(log)
            if case .kafka = configuration.brokerMode { try await requireEmptyTopic(log, partitionCount: partitionCount) }
            let held = try await logEnds(log, partitionCount: partitionCount).reduce(Int64(0)) { $0 + $1.rawValue }
            if !options.fresh && !options.resume && held > 0 {
                throw PipelineError.earlierRun(directory: directory.path, topic: configuration.topic, events: held)
            }
            // A run that goes on in the directory (--resume, --no-fresh) keeps the settings it
            // started with; --fresh removed the record with the rest.
            let settings = RunSettingsRecord(configuration)
            let recorded = try RunSettingsRecord.read(in: directory.path)
            if let recorded, recorded != settings {
                throw PipelineError.resumeSettingsChanged(directory: directory.path, recorded: recorded.text, configured: settings.text)
            }
            var resumePoint: ResumePoint?
            if options.resume {
                let found = try await ResumePoint(log: log, topic: configuration.topic, partitionCount: partitionCount)
                try found.verify(configuration)
                let deleted = found.produced - found.stored
                terminal.line(
                    found.produced == 0 ? "resuming: the log holds none of the earlier run's events; running it from the start"
                        : "resuming: the log already holds \(found.stored) events"
                        + (deleted > 0 ? " (and \(deleted) older ones were deleted from the log by retention or DeleteRecords)" : "")
                        + ", checked against the seed; producing the rest (the scenario is not replayed)"
                )
                resumePoint = found
            }
            try settings.write(in: directory.path)
            let state = RunState(totalTicks: configuration.ticks, simulationStartMs: configuration.startTime, stages: stages)
            state.update { $0.resumedFrom = resumePoint?.produced ?? 0 }
            for name in GroupName.allCases {
                let group = try await GroupService.open(
                    group: name, consumers: configuration.consumers[name] ?? 1, log: log, databasePath: directory.databasePath(name),
                    configuration: configuration, partitionCount: partitionCount, completion: .untilLogEnd, state: state,
                    // A resumed run writes the log's missing tail again, record for record; only
                    // where the directory's record proves these are the settings its rows came from.
                    aheadOfLog: resumePoint != nil && recorded != nil ? .skipUntilReproduced : .refuse, metrics: options.metrics,
                    logger: logger
                )
                groups.append(group)
                try await group.startConsumers()
            }
            var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
            if options.showProgress {
                services.append(.init(service: ProgressService(source: RunProgress(state: state, groups: GroupName.allCases), terminal: terminal), serviceName: "progress"))
            }
            var kafkaAddress: String?
            if let builtIn = log as? BuiltInEventLog {
                services.append(.init(service: BrokerMaintenanceService(broker: builtIn.broker), serviceName: "broker maintenance"))
                let extra = extraServices(builtIn.broker)
                // The run goes on if the port stops by itself; a port that fails stops the run.
                services += extra.services.map { .init(service: $0, successTerminationBehavior: .ignore, serviceName: "\(type(of: $0))") }
                kafkaAddress = extra.kafkaAddress
            }
            for group in groups {
                services.append(.init(service: group, successTerminationBehavior: .gracefullyShutdownGroup, serviceName: "group \(group.group.rawValue)"))
            }
            let playsScenario = resumePoint.map { $0.produced == 0 } ?? true
            let drivers = DriverPositions(regions: configuration.regions.map(\.name))
            let producer = ProducerService(ProductionLoop.Production(
                configuration: configuration, log: log, partitionCount: partitionCount, state: state,
                fleets: Dictionary(uniqueKeysWithValues: groups.map { ($0.group, $0.fleet) }),
                scenario: playsScenario ? plan.steps : [], resumePoint: resumePoint, terminal: terminal, metrics: options.metrics,
                drivers: drivers
            ))
            services.append(.init(service: producer, successTerminationBehavior: .gracefullyShutdownGroup, serviceName: "producer"))
            let live = LiveRun(
                state: state, log: log, configuration: configuration, partitionCount: partitionCount, drivers: drivers,
                fleets: Dictionary(uniqueKeysWithValues: groups.map { ($0.group, $0.fleet) }), terminal: terminal
            )
            // An observer that stops by itself does not end the run; one that fails does.
            services += observers(live).map { .init(service: $0, successTerminationBehavior: .ignore, serviceName: "\(type(of: $0))") }
            return PreparedRun(
                log: log, partitionCount: partitionCount, state: state, groups: groups, services: services, kafkaAddress: kafkaAddress,
                playsScenario: playsScenario
            )
        } catch {
            for group in groups {
                await group.fleet.stopAll()
                await group.writer.close()
            }
            try? await log.close()
            throw PipelineError(error)
        }
    }

    /// Runs `services` as one service group until they are done (a run: the producer is done
    /// and every group has stored its events; a role: its one part has finished); `stop()`
    /// shuts it down gracefully.
    func runServices(_ services: [ServiceGroupConfiguration.ServiceConfiguration]) async throws(PipelineError) {
        var quiet = logger
        quiet.logLevel = .warning
        let serviceGroup = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: services, gracefulShutdownSignals: options.handleSignals ? [.sigint, .sigterm] : [], logger: quiet
        ))
        group.withLock { $0 = serviceGroup }
        defer { group.withLock { $0 = nil } }
        if stopRequested.load(ordering: .relaxed) { await serviceGroup.triggerGracefulShutdown() }
        do {
            try await serviceGroup.run()
        } catch {
            throw PipelineError(error)
        }
    }

    private func makeSummary(_ prepared: PreparedRun, plan: ScenarioPlan, wallSeconds: Double) -> RunSummary {
        let snapshot = prepared.state.snapshot
        var groups: [String: RunSummary.Group] = [:]
        for group in prepared.groups {
            if let summary = group.summary { groups[group.group.rawValue] = summary }
        }
        let ends = (0 ..< prepared.partitionCount).map { Int(snapshot.logEnds?[PartitionID($0)]?.rawValue ?? 0) }
        let regionsOfPartition = configuration.regionsByPartition(count: prepared.partitionCount).map { $0.joined(separator: "+") }
        return RunSummary(
            eventsProduced: snapshot.eventsInLog, resumedFrom: snapshot.resumedFrom, eventsPerPartition: ends,
            partitionRegions: regionsOfPartition, simulatedSeconds: configuration.second(ofTick: snapshot.ticks),
            stoppedEarly: snapshot.stoppedEarly, wallSeconds: wallSeconds,
            eventsPerSecond: Double(snapshot.produced) / max(wallSeconds, 0.001), groups: groups, scenario: snapshot.scenario,
            skippedSteps: prepared.playsScenario ? plan.skipped.map(\.description) : [], cpu: prepared.state.stages.breakdown
        )
    }

    // MARK: - The log

    /// The built-in broker in the data directory, or the configured Kafka cluster.
    func openLog(_ directory: DataDirectory?, stages: StageTimes? = nil) throws(PipelineError) -> any EventLog {
        switch configuration.brokerMode {
        case .embedded:
            guard let directory else { throw .remoteLogRequired(role: "simulate") }
            var brokerConfiguration = BrokerConfiguration(dataDirectory: directory.brokerPath)
            brokerConfiguration.log = configuration.log
            brokerConfiguration.retentionCheckIntervalMs = configuration.retentionCheckIntervalMs
            // The run's own consumers may use sessions shorter than Kafka's 6 s minimum
            // (consumer.session_timeout_ms, from 500 ms), so a crash's rebalance shows quickly.
            brokerConfiguration.groups.minSessionTimeoutMs = min(brokerConfiguration.groups.minSessionTimeoutMs, configuration.sessionTimeoutMs)
            var brokerLogger = logger
            brokerLogger.logLevel = .warning
            let broker: Broker
            do { broker = try Broker(configuration: brokerConfiguration, logger: brokerLogger) } catch { throw .broker(error) }
            // A directory this command created holds no run to resume. One that exists without
            // the topic holds a run killed before it created its topic: it produced nothing,
            // and resuming it runs it from the start.
            if options.resume && directory.created {
                try? broker.close()  // failing anyway; a log that cannot close is recovered next time
                throw .nothingToResume(directory: directory.path, topic: configuration.topic)
            }
            return BuiltInEventLog(broker: broker, stages: stages)
        case let .kafka(settings):
            return try KafkaEventLog.open(settings)
        }
    }

    /// Creates the topic if missing and checks its partition count against the configuration.
    func preparedTopic(_ log: any EventLog) async throws(PipelineError) -> Int {
        let count = try await log.prepareTopic(configuration.topic, partitions: configuration.partitions, replicationFactor: configuration.replicationFactor)
        guard count == configuration.partitions else {
            throw .topicPartitionCount(
                topic: configuration.topic, log: log.name, found: count, configured: configuration.partitions, builtIn: log is BuiltInEventLog
            )
        }
        return count
    }

    func logEnds(_ log: any EventLog, partitionCount: Int) async throws(PipelineError) -> [Offset] {
        var ends: [Offset] = []
        for partition in 0 ..< partitionCount { ends.append(try await log.bounds(configuration.topic, partition: PartitionID(partition)).end) }
        return ends
    }

    /// A run's events go into an empty topic: the same seed produces the same events, so
    /// events an earlier run left would be stored twice by the groups.
    func requireEmptyTopic(_ log: any EventLog, partitionCount: Int) async throws(PipelineError) {
        let held = try await logEnds(log, partitionCount: partitionCount).reduce(Int64(0)) { $0 + $1.rawValue }
        guard held == 0 else { throw .topicNotEmpty(topic: configuration.topic, log: log.name, events: held) }
    }
}
