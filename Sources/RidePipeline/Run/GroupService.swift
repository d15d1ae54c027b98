import KafkaWire
import Logging
import ServiceLifecycle
import Synchronization

/// One consumer group of a run, as a service: its SQLite writer and its consumers.
///
/// It runs until graceful shutdown, then finishes the group's work before returning:
/// - in a run (`.untilLogEnd`), the producer has stopped first (services shut down in
///   reverse order), so the log's ends are final; the group returns once its stored offsets
///   reach them — completion is reported by the writer's commits, nothing polls the file;
/// - as a role (`ridestream consume`, `.untilStopped`), it stops at once (other processes
///   may produce for ever), or by itself once the group has stored everything in the log and
///   the log has not grown for `exitWhenIdle`.
///
/// A consumer's failure ends the service with `PipelineError.consumer`. Before returning it
/// takes the group's summary (after letting the group settle) and stops the consumers.
final class GroupService: Service, Sendable {
    enum Completion: Sendable {
        case untilLogEnd
        case untilStopped(exitWhenIdle: Duration?)
    }

    private enum Event: Sendable {
        case committed(SinkCommit)
        case failed(consumer: String, PipelineError)
        case shutdownRequested
        case tick
    }

    let group: GroupName
    let fleet: GroupFleet
    let writer: SinkWriter
    private let log: any EventLog
    private let configuration: PipelineConfiguration
    private let partitionCount: Int
    private let consumers: Int
    private let completion: Completion
    private let state: RunState
    private let events: AsyncStream<Event>
    private let continuation: AsyncStream<Event>.Continuation
    /// How the service ended, once it has.
    private struct Ending {
        var summary: RunSummary.Group?
        var offsets: [PartitionID: Offset] = [:]
        var bySignal = false
    }

    private let ending = Mutex(Ending())

    /// The group's summary, taken when the service ends (nil before, or after a failure).
    var summary: RunSummary.Group? { ending.withLock { $0.summary } }
    /// The group's stored offsets when the service ended.
    var finalOffsets: [PartitionID: Offset] { ending.withLock { $0.offsets } }
    /// Whether it ended because it was asked to stop (not by itself, when idle).
    var stoppedBySignal: Bool { ending.withLock { $0.bySignal } }

    /// Opens the group's database and prepares (does not start) its consumers.
    static func open(
        group: GroupName, consumers: Int, log: any EventLog, databasePath: String, configuration: PipelineConfiguration,
        partitionCount: Int, completion: Completion, state: RunState, namePrefix: String? = nil, aheadOfLog: AheadOfLog = .refuse,
        metrics: RunMetrics = .none, logger: Logger
    ) async throws(PipelineError) -> GroupService {
        let (events, continuation) = AsyncStream<Event>.makeStream()
        let writer: SinkWriter
        do {
            writer = try await SinkWriter.open(
                group: group, path: databasePath, topic: configuration.topic, tariff: configuration.tariff, metrics: metrics,
                stages: state.stages, onCommit: { continuation.yield(.committed($0)) }
            )
        } catch {
            throw .sink(error)
        }
        let fleet = GroupFleet(
            group: group, log: log, writer: writer, configuration: configuration, namePrefix: namePrefix, aheadOfLog: aheadOfLog,
            state: state, logger: logger, onFailure: { continuation.yield(.failed(consumer: $0, $1)) }
        )
        return GroupService(
            group: group, fleet: fleet, writer: writer, log: log, configuration: configuration, partitionCount: partitionCount,
            consumers: consumers, completion: completion, state: state, events: events, continuation: continuation
        )
    }

    private init(
        group: GroupName, fleet: GroupFleet, writer: SinkWriter, log: any EventLog, configuration: PipelineConfiguration,
        partitionCount: Int, consumers: Int, completion: Completion, state: RunState, events: AsyncStream<Event>,
        continuation: AsyncStream<Event>.Continuation
    ) {
        self.group = group
        self.fleet = fleet
        self.writer = writer
        self.log = log
        self.configuration = configuration
        self.partitionCount = partitionCount
        self.consumers = consumers
        self.completion = completion
        self.state = state
        self.events = events
        self.continuation = continuation
    }

    /// Starts the configured consumers (before the service group runs, so the producer can
    /// wait for every group to settle).
    func startConsumers() async throws(PipelineError) {
        for (partition, offset) in try await storedOffsets() { state.noteStored(group, partition: partition, next: offset, events: 0) }
        for _ in 0 ..< consumers { try await fleet.add() }
    }

    private func storedOffsets() async throws(PipelineError) -> [PartitionID: Offset] {
        do { return try await writer.allStoredOffsets() } catch { throw .sink(error) }
    }

    func run() async throws {
        let ticker: Task<Void, Never>? = {
            guard case .untilStopped(exitWhenIdle: .some) = completion else { return nil }
            let continuation = continuation
            return Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(250))
                    continuation.yield(.tick)
                }
            }
        }()
        defer { ticker?.cancel() }
        do {
            try await withGracefulShutdownHandler {
                try await self.handleEvents()
            } onGracefulShutdown: {
                self.continuation.yield(.shutdownRequested)
            }
            try Task.checkCancellation()
        } catch {
            await fleet.stopAll()
            await writer.close()
            throw error
        }
        // A run's summary says who owned what: let a rebalance in progress finish first. A role
        // process shares the group with others, so it never owns every partition: it stops.
        if case .untilLogEnd = completion { await fleet.waitUntilSettled(partitionCount: partitionCount, limit: .seconds(10)) }
        let summary = await makeSummary()
        let offsets = (try? await writer.allStoredOffsets()) ?? [:]  // a report only: the file was read all along
        ending.withLock {
            $0.summary = summary
            $0.offsets = offsets
        }
        await fleet.stopAll()
        await writer.close()
    }

    /// Follows the group until its work is done (see the type's notes).
    private func handleEvents() async throws {
        var stopping = false
        var logEnds: [PartitionID: Offset]?
        var idle = IdleWatch()
        for await event in events {
            switch event {
            case let .committed(commit):
                state.noteStored(group, partition: commit.partition, next: commit.nextOffset, events: commit.events, lastEventMs: commit.lastEventMs)
            case let .failed(consumer, error):
                throw PipelineError.consumer(group: group, consumer: consumer, error)
            case .shutdownRequested:
                stopping = true
                guard case .untilLogEnd = completion else {
                    ending.withLock { $0.bySignal = true }
                    return
                }
                guard let ends = await state.logEndsAfterProduction() else { throw CancellationError() }
                logEnds = ends
            case .tick:
                guard case let .untilStopped(exitWhenIdle?) = completion else { continue }
                if await idle.caughtUp(log: log, writer: writer, topic: configuration.topic, partitions: partitionCount, for: exitWhenIdle) { return }
            }
            guard stopping, let logEnds else { continue }
            let stored = state.snapshot.stored[group] ?? [:]
            if logEnds.allSatisfy({ $0.value <= (stored[$0.key] ?? .zero) }) {
                // The producer is done: a database still ahead of the final log holds rows the
                // log never got back (it was not this configuration's run, or the log lost more).
                if let (partition, end) = logEnds.sorted(by: { $0.key < $1.key }).first(where: { (stored[$0.key] ?? .zero) > $0.value }) {
                    throw PipelineError.logBehindDatabase(group: group, path: writer.path, partition: partition, stored: stored[partition]!, logEnd: end)
                }
                return
            }
            if await fleet.running == 0 { throw PipelineError.noConsumerLeft(group: group) }
        }
        throw CancellationError()
    }

    private func makeSummary() async -> RunSummary.Group {
        let description = await log.describeGroup(group.rawValue)
        let consumers = await fleet.summaries()
        return RunSummary.Group(
            database: writer.path, consumers: consumers, events: await writer.events, transactions: await writer.transactions,
            rebalances: Int(description?.generation ?? 0), generation: description?.generation ?? 0,
            commitFailures: consumers.reduce(0) { $0 + $1.commitFailures }, gaps: (try? await writer.gaps()) ?? [],
            // The summary of a run that stored its rows does not fail over its history.
            timeline: (try? await writer.rebalances()) ?? []
        )
    }
}

/// `consume --exit-when-idle`: whether the group has stored everything in the log and the log
/// has not grown for a while. Reads the file's offsets: consumers of the group in other
/// processes write it too.
private struct IdleWatch {
    private var lastEnds: [Offset] = []
    private var caughtUpSince: ContinuousClock.Instant?

    mutating func caughtUp(log: any EventLog, writer: SinkWriter, topic: String, partitions: Int, for limit: Duration) async -> Bool {
        // A cluster that does not answer for a moment does not stop the consumers.
        var ends: [Offset] = []
        for partition in 0 ..< partitions {
            guard let bounds = try? await log.bounds(topic, partition: PartitionID(partition)) else { return false }
            ends.append(bounds.end)
        }
        guard let stored = try? await writer.storedOffsets((0 ..< partitions).map(PartitionID.init)) else { return false }
        let storedList = (0 ..< partitions).map { stored[PartitionID($0)] ?? .zero }
        let caughtUp = ends.contains { $0 > .zero } && ends == storedList && ends == lastEnds
        lastEnds = ends
        caughtUpSince = caughtUp ? caughtUpSince ?? .now : nil
        guard let since = caughtUpSince else { return false }
        return ContinuousClock.now - since >= limit
    }
}
