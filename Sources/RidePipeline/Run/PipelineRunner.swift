import Broker
import Foundation
import Groups
import KafkaWire
import LogStore
import Logging
import RideModel

/// Runs the whole simulation in one process: the built-in broker, the driver simulator as
/// producer, and the fare, analytics and support groups writing their SQLite files.
///
/// Layout of the data directory: `broker/` (topics and committed offsets) and
/// `fare.sqlite`, `analytics.sqlite`, `support.sqlite`.
public final class PipelineRunner: @unchecked Sendable {
    public let configuration: PipelineConfiguration
    public let options: RunOptions
    public let stop: StopSignal
    private let logger: Logger
    let output: @Sendable (String) -> Void
    private let attach: BrokerAttachment

    /// Called once the run's broker is open and its topic exists, before anything is produced;
    /// returns what to do when the run ends, before the broker closes. `simulate --serve`
    /// uses it to expose the broker on the Kafka port for the length of the run.
    public typealias BrokerAttachment = @Sendable (Broker) async throws -> @Sendable () async -> Void

    public init(
        configuration: PipelineConfiguration, options: RunOptions, stop: StopSignal = StopSignal(),
        logger: Logger = Logger(label: "ridestream"), output: @escaping @Sendable (String) -> Void = { print($0) },
        attach: @escaping BrokerAttachment = { _ in {} }
    ) {
        self.configuration = configuration
        self.options = options
        self.stop = stop
        self.logger = logger
        self.output = output
        self.attach = attach
    }

    var dataDirectory: String { configuration.dataDirectory }
    var brokerDirectory: String { dataDirectory + "/broker" }
    func databasePath(_ group: GroupName) -> String { dataDirectory + "/" + group.databaseFile }

    /// Runs to the end of the configured duration (or a stop signal) and returns the summary.
    public func run() async throws -> RunSummary {
        let wallStart = ContinuousClock.now
        try prepareDataDirectory()
        let log = try await openLog()
        do {
            let partitionCount = try await log.prepareTopic(
                configuration.topic, partitions: configuration.partitions, replicationFactor: configuration.replicationFactor
            )
            guard partitionCount == configuration.partitions else {
                throw SinkError(
                    "the topic '\(configuration.topic)' on \(log.name) has \(partitionCount) partitions, the configuration \(configuration.partitions)"
                        + (configuration.brokerMode == .embedded ? ": run with --fresh" : ": use another topic or partition count")
                )
            }
            if case .kafka = configuration.brokerMode { try await requireEmptyTopic(log, partitionCount: partitionCount) }
            var detach: @Sendable () async -> Void = {}
            if let builtIn = log as? BuiltInEventLog { detach = try await attach(builtIn.broker) }
            let summary: RunSummary
            do {
                summary = try await run(on: log, partitionCount: partitionCount, wallStart: wallStart)
            } catch {
                await detach()
                throw error
            }
            await detach()
            try await log.close()
            return summary
        } catch {
            try? await log.close()
            throw error
        }
    }

    /// The built-in broker in the data directory, or the configured Kafka cluster.
    func openLog() async throws -> any EventLog {
        switch configuration.brokerMode {
        case .embedded:
            var brokerConfiguration = BrokerConfiguration(dataDirectory: brokerDirectory)
            brokerConfiguration.log = configuration.log
            brokerConfiguration.groups.minSessionTimeoutMs = 500
            var brokerLogger = logger
            brokerLogger.logLevel = .warning
            let broker = try Broker(configuration: brokerConfiguration, logger: brokerLogger)
            if options.resume && !broker.topicNames().contains(configuration.topic) {
                try? broker.close()
                throw SinkError("nothing to resume in \(dataDirectory): it has no topic '\(configuration.topic)'")
            }
            return BuiltInEventLog(broker: broker)
        case let .kafka(settings):
            return try KafkaEventLog.open(settings)
        }
    }

    private func run(on log: any EventLog, partitionCount: Int, wallStart: ContinuousClock.Instant) async throws -> RunSummary {
        var writers: [GroupName: SinkWriter] = [:]
        for group in GroupName.allCases {
            writers[group] = try SinkWriter(group: group, path: databasePath(group), topic: configuration.topic, tariff: configuration.tariff)
        }
        let fleet = ConsumerFleet(log: log, writers: writers, configuration: configuration)
        for group in GroupName.allCases {
            for _ in 0 ..< (configuration.consumers[group] ?? 1) { try await fleet.add(group) }
        }
        try await fleet.waitUntilSettled(partitionCount: partitionCount)
        let production: Production
        do {
            production = try await produce(log: log, fleet: fleet, partitionCount: partitionCount)
        } catch {
            await fleet.stopAll()
            throw error
        }
        let ends = try await logEnds(log, partitionCount: partitionCount)
        do {
            try await waitUntilConsumed(ends: ends, writers: writers, fleet: fleet, produced: production.events + production.resumedFrom)
        } catch {
            await fleet.stopAll()
            throw error
        }
        try? await fleet.waitUntilSettled(partitionCount: partitionCount)
        let summary = await makeSummary(
            ends: ends, production: production, fleet: fleet, writers: writers, log: log,
            wallSeconds: Stopwatch.seconds(ContinuousClock.now - wallStart)
        )
        await fleet.stopAll()
        return summary
    }

    /// Checks the data directory is writable; with `fresh`, removes the previous run's outputs.
    func prepareDataDirectory() throws {
        let files = FileManager.default
        do {
            try files.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        } catch {
            throw SinkError("cannot create the data directory \(dataDirectory): \(error.localizedDescription)")
        }
        guard files.isWritableFile(atPath: dataDirectory) else {
            throw SinkError("the data directory \(dataDirectory) is not writable")
        }
        guard options.fresh else { return }
        var removed: [String] = []
        for group in GroupName.allCases {
            for suffix in ["", "-wal", "-shm"] where files.fileExists(atPath: databasePath(group) + suffix) {
                try files.removeItem(atPath: databasePath(group) + suffix)
                if suffix.isEmpty { removed.append(group.databaseFile) }
            }
        }
        if files.fileExists(atPath: brokerDirectory) {
            try files.removeItem(atPath: brokerDirectory)
            removed.append("broker/")
        }
        if !removed.isEmpty {
            output("fresh run: removed the previous run's \(removed.joined(separator: ", ")) in \(dataDirectory)/")
        }
    }

    struct Production {
        var events = 0
        var ticks = 0
        var stoppedEarly = false
        var scenario: [String] = []
        /// Events found in the log when resuming.
        var resumedFrom = 0
    }

    /// Runs the simulator and produces every event, applying scenario steps on the way.
    /// - Parameter fleet: the run's consumers, for scenario steps and progress; nil when
    ///   producing alone (`ridestream produce`), which skips the scenario.
    func produce(log: any EventLog, fleet: ConsumerFleet?, partitionCount: Int) async throws -> Production {
        let producer = try log.makeProducer(EventProducerSettings(
            topic: configuration.topic, batchBytes: configuration.producerBatchBytes, lingerMs: configuration.producerLingerMs
        ))
        let partitioner = RegionPartitioner(table: configuration.partitionTable, partitionCount: partitionCount)
        var simulator = Simulator(settings: configuration.simulatorSettings)
        let ticks = Int((Int64(configuration.durationSeconds) * 1000) / configuration.tickMs)
        var production = Production()
        let alreadyProduced = options.resume ? try await ProducedEvents(log: log, topic: configuration.topic) : nil
        if let alreadyProduced {
            output("resuming: the log already holds \(alreadyProduced.count) events; producing the rest")
            production.resumedFrom = alreadyProduced.count
        }
        var pendingSteps = options.resume || fleet == nil ? [] : configuration.scenario
        let progress = ProgressReporter(interactive: options.interactive, enabled: options.showProgress, output: output)
        let clock = ContinuousClock()
        let start = clock.now
        for tick in 0 ..< ticks {
            if stop.isSet {
                production.stoppedEarly = true
                break
            }
            let second = Int(Int64(tick) * configuration.tickMs / 1000)
            while let step = pendingSteps.first, step.atSeconds <= second {
                pendingSteps.removeFirst()
                production.scenario.append(try await fleet!.apply(step))
                output("scenario at \(step.atSeconds) s: \(production.scenario.last!)")
            }
            if configuration.realtime {
                try? await Task.sleep(until: start + .milliseconds(Int64(tick) * configuration.tickMs), clock: clock)
            }
            for event in simulator.step() {
                if let alreadyProduced, alreadyProduced.contains(event) { continue }
                let key = Array(event.driverId.utf8)
                try producer.send(
                    partition: partitioner.partition(region: event.region, key: key), key: key, value: event.json(),
                    headers: [("region", Array(event.region.utf8))], timestamp: event.ts
                )
                production.events += 1
            }
            production.ticks = tick + 1
            if progress.due() {
                await progress.report(produced: production.events, ticks: production.ticks, of: ticks, fleet: fleet)
            }
            if tick % 16 == 15 { await Task.yield() }
        }
        try producer.close()
        progress.finish()
        return production
    }

    /// Waits until every group's database holds offsets equal to the log end of every
    /// partition.
    private func waitUntilConsumed(
        ends: [Int64], writers: [GroupName: SinkWriter], fleet: ConsumerFleet, produced: Int
    ) async throws {
        let progress = ProgressReporter(interactive: options.interactive, enabled: options.showProgress, output: output)
        let ticks = Int((Int64(configuration.durationSeconds) * 1000) / configuration.tickMs)
        defer { progress.finish() }
        for group in GroupName.allCases {
            while true {
                if let failure = await fleet.failure() { throw SinkError(failure) }
                let stored = try await writers[group]!.storedOffsets(Array(ends.indices))
                if ends.indices.allSatisfy({ ends[$0] == 0 || stored[$0] == ends[$0] }) { break }
                guard await fleet.running(group) > 0 else {
                    throw SinkError("group \(group.rawValue) has no running consumer left to finish the run")
                }
                if progress.due() {
                    await progress.report(produced: produced, ticks: ticks, of: ticks, fleet: fleet)
                }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    private func makeSummary(
        ends: [Int64], production: Production, fleet: ConsumerFleet, writers: [GroupName: SinkWriter], log: any EventLog, wallSeconds: Double
    ) async -> RunSummary {
        var groups: [String: RunSummary.Group] = [:]
        for group in GroupName.allCases {
            let description = await log.describeGroup(group.rawValue)
            let writer = writers[group]!
            groups[group.rawValue] = RunSummary.Group(
                database: databasePath(group), consumers: await fleet.summaries(group),
                events: await writer.events, transactions: await writer.transactions,
                rebalances: Int(description?.generation ?? 0), generation: description?.generation ?? 0
            )
        }
        let table = configuration.partitionTable
        let regionsOfPartition = (0 ..< ends.count).map { partition in
            table.filter { $0.value.contains(partition) }.keys.sorted().joined(separator: "+")
        }
        return RunSummary(
            eventsProduced: production.events + production.resumedFrom, resumedFrom: production.resumedFrom, eventsPerPartition: ends.map(Int.init), partitionRegions: regionsOfPartition,
            simulatedSeconds: Int(Int64(production.ticks) * configuration.tickMs / 1000), stoppedEarly: production.stoppedEarly,
            wallSeconds: wallSeconds, eventsPerSecond: Double(production.events) / max(wallSeconds, 0.001),
            groups: groups, scenario: production.scenario
        )
    }
}
