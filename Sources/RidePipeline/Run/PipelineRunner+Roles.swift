import Foundation

/// The pipeline's roles run apart — the simulator in one process, a group's consumers in
/// others, on other machines if need be — against a Kafka-protocol broker (a Kafka cluster
/// or `ridestream broker serve`). Consumers of one group in several processes share the
/// group's SQLite file; each batch's stored-offset check and write happen in one write-locked
/// transaction, so exactly-once holds across processes too.
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
    /// is stored. The scenario (consumers added or removed) belongs to `simulate` and is
    /// skipped.
    public func runProducer() async throws -> ProducerReport {
        try requireRemoteLog("produce")
        let wallStart = ContinuousClock.now
        let log = try await openLog()
        do {
            let partitionCount = try await preparedTopic(log)
            try await requireEmptyTopic(log, partitionCount: partitionCount)
            let production = try await produce(log: log, fleet: nil, partitionCount: partitionCount)
            let ends = try await logEnds(log, partitionCount: partitionCount)
            try await log.close()
            return ProducerReport(
                events: production.events, eventsPerPartition: ends,
                simulatedSeconds: Int(Int64(production.ticks) * configuration.tickMs / 1000), stoppedEarly: production.stoppedEarly,
                wallSeconds: Stopwatch.seconds(ContinuousClock.now - wallStart)
            )
        } catch {
            try? await log.close()
            throw error
        }
    }

    /// `count` consumers of one group, writing the group's database in the data directory,
    /// until a stop signal — or, with `exitWhenIdle`, once the group has stored everything in
    /// the log and the log has not grown for that long.
    public func runConsumers(group: GroupName, count: Int, exitWhenIdle: Duration?) async throws -> ConsumerReport {
        try requireRemoteLog("consume")
        try prepareDataDirectory()
        let log = try await openLog()
        var fleetToStop: ConsumerFleet?
        do {
            let partitionCount = try await preparedTopic(log)
            let writer = try SinkWriter(group: group, path: databasePath(group), topic: configuration.topic, tariff: configuration.tariff)
            let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "host"
            let fleet = ConsumerFleet(
                log: log, writers: [group: writer], configuration: configuration,
                namePrefix: "\(group.rawValue)@\(host):\(ProcessInfo.processInfo.processIdentifier)"
            )
            fleetToStop = fleet
            for _ in 0 ..< count { try await fleet.add(group) }
            let progress = ProgressReporter(interactive: options.interactive, enabled: options.showProgress, output: output)
            var lastEnds: [Int64] = []
            var caughtUpSince: ContinuousClock.Instant?
            var stored: [Int64] = []
            while !stop.isSet {
                if let failure = await fleet.failure() {
                    await fleet.stopAll()
                    throw SinkError(failure)
                }
                try await Task.sleep(for: .milliseconds(250))
                // Progress and the idle check only: a cluster that does not answer for a moment
                // does not stop the consumers, which go on by themselves.
                guard let ends = try? await logEnds(log, partitionCount: partitionCount),
                      let offsets = try? await writer.storedOffsets(Array(0 ..< partitionCount)) else { continue }
                stored = (0 ..< partitionCount).map { offsets[$0] ?? 0 }
                if progress.due() {
                    let lag = zip(ends, stored).reduce(Int64(0)) { $0 + max(0, $1.0 - $1.1) }
                    progress.report("\(group.rawValue): \(stored.reduce(0, +)) of \(ends.reduce(0, +)) events stored, lag \(lag) | this process: \(await writer.events) events")
                }
                if let exitWhenIdle {
                    let caughtUp = ends.reduce(0, +) > 0 && ends == stored && ends == lastEnds
                    caughtUpSince = caughtUp ? caughtUpSince ?? .now : nil
                    if let since = caughtUpSince, ContinuousClock.now - since >= exitWhenIdle { break }
                }
                lastEnds = ends
            }
            progress.finish()
            let summaries = await fleet.summaries(group)
            await fleet.stopAll()
            let events = await writer.events
            let transactions = await writer.transactions
            try await log.close()
            return ConsumerReport(
                group: group, database: databasePath(group), events: events, transactions: transactions, consumers: summaries,
                storedOffsets: stored, logEnds: lastEnds, stoppedBySignal: stop.isSet
            )
        } catch {
            await fleetToStop?.stopAll()
            try? await log.close()
            throw error
        }
    }

    private func requireRemoteLog(_ role: String) throws {
        guard case .kafka = configuration.brokerMode else {
            throw SinkError(
                "`ridestream \(role)` runs one role against a broker reached over the network: give --bootstrap HOST:PORT "
                    + "(a Kafka cluster, or `ridestream broker serve`) or set broker.mode: kafka; `ridestream simulate` runs every role in one process"
            )
        }
    }

    func logEnds(_ log: any EventLog, partitionCount: Int) async throws -> [Int64] {
        var ends: [Int64] = []
        for partition in 0 ..< partitionCount { ends.append(try await log.bounds(configuration.topic, partition: partition).end) }
        return ends
    }

    /// A run's events go into an empty topic: the same seed produces the same events, so
    /// events an earlier run left would be stored twice by the groups.
    func requireEmptyTopic(_ log: any EventLog, partitionCount: Int) async throws {
        let held = try await logEnds(log, partitionCount: partitionCount).reduce(0, +)
        guard held == 0 else {
            throw SinkError(
                "the topic '\(configuration.topic)' on \(log.name) already holds \(held) events from an earlier run; "
                    + "delete it (e.g. kafka-topics.sh --delete --topic \(configuration.topic)) or set another topic.name in the configuration"
            )
        }
    }

    /// Creates the topic if missing and checks its partition count against the configuration.
    private func preparedTopic(_ log: any EventLog) async throws -> Int {
        let count = try await log.prepareTopic(configuration.topic, partitions: configuration.partitions, replicationFactor: configuration.replicationFactor)
        guard count == configuration.partitions else {
            throw SinkError("the topic '\(configuration.topic)' on \(log.name) has \(count) partitions, the configuration \(configuration.partitions)")
        }
        return count
    }
}
