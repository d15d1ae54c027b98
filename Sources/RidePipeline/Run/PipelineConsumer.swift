import CPUTime
import Groups
import KafkaWire
import Logging
import RideModel

/// One consumer of a group: polls its partitions, decodes events, and hands chunks of up to
/// `batchSize` events (or whatever `lingerMs` gathered) to the group's `SinkWriter`, which
/// stores rows and offsets in one transaction. The buffering rules are `PartitionBuffers`';
/// this actor carries them out against the log and the writer.
///
/// - On assignment a partition starts from the offset in the group's database, never from the
///   log's committed offsets, which the database may not match; one the database has never
///   seen starts at the log start. A stored offset below the log start (retention deleted
///   events the group never stored) is recorded as a gap in the database, and the partition
///   starts at the log start. One beyond the log end means the log lost events the database
///   has: with `AheadOfLog.refuse` the consumer stops with an error rather than guess; with
///   `.skipUntilReproduced` (`--resume` on the built-in broker, whose producer writes the
///   lost tail again from the seed, record for record at the same offsets) the partition is
///   read from the log end and the records below the stored offset are skipped, not stored
///   twice.
/// - On revocation it writes what it has buffered for those partitions first.
/// - A chunk refused as stale (another consumer wrote the partition meanwhile) is dropped and
///   the partition re-read from the stored offset.
/// - `crash()` stops as a killed process would: nothing more is written, no leave.
///
/// Progress mirrored into the log's committed offsets is best effort (the database is the
/// truth); each refused commit is counted and logged, and the summary shows the count.
/// What a consumer does with a partition whose database is ahead of the log.
enum AheadOfLog: Sendable {
    /// Stop with `PipelineError.logBehindDatabase`: nothing will write the missing records.
    case refuse
    /// Skip the records the database has while the run's producer writes them again.
    case skipUntilReproduced
}

actor PipelineConsumer {
    nonisolated let name: String
    nonisolated let group: GroupName
    private let log: any EventLog
    private let writer: SinkWriter
    private let configuration: PipelineConfiguration
    private let logger: Logger
    private let onFailure: @Sendable (String, PipelineError) -> Void
    private let aheadOfLog: AheadOfLog
    /// What the run knows around a rebalance this consumer records (simulated time, what
    /// was done to the group's consumers).
    private let rebalanceContext: @Sendable () -> RebalanceContext
    /// The simulated time production has reached, recorded with each batch.
    private let producedMs: @Sendable () -> Int64?
    /// Where decoding events is charged (`Stage.decode`).
    private let stages: StageTimes?
    /// Per partition, the stored offset the database holds beyond the log end while the log
    /// is written again up to it (`.skipUntilReproduced`).
    private var storedAhead: [PartitionID: Offset] = [:]
    private var consumer: (any EventConsumer)?
    private var buffers: PartitionBuffers
    private var task: Task<Void, Never>?
    private var seenRebalances = 0
    /// Commits to the log's offsets that were refused (the database still has the progress).
    private(set) var commitFailures = 0
    private(set) var failure: PipelineError?
    private(set) var stopped = false
    /// Set by `crash()`: nothing more is written, as after a real crash.
    private var crashed = false

    init(
        name: String, group: GroupName, log: any EventLog, writer: SinkWriter, configuration: PipelineConfiguration,
        aheadOfLog: AheadOfLog = .refuse, logger: Logger = Logger(label: "ridestream.consumer"),
        onFailure: @escaping @Sendable (String, PipelineError) -> Void = { _, _ in },
        rebalanceContext: @escaping @Sendable () -> RebalanceContext = { .unknown },
        producedMs: @escaping @Sendable () -> Int64? = { nil }, stages: StageTimes? = nil
    ) {
        self.stages = stages
        self.aheadOfLog = aheadOfLog
        self.rebalanceContext = rebalanceContext
        self.producedMs = producedMs
        self.name = name
        self.group = group
        self.log = log
        self.writer = writer
        self.configuration = configuration
        self.logger = logger
        self.onFailure = onFailure
        buffers = PartitionBuffers(batchSize: configuration.batchSize, linger: .milliseconds(configuration.lingerMs))
    }

    /// Joins the group and starts polling.
    func start() throws(PipelineError) {
        let settings = EventConsumerSettings(
            group: group.rawValue, clientID: name, topic: configuration.topic, sessionTimeoutMs: configuration.sessionTimeoutMs,
            heartbeatIntervalMs: configuration.heartbeatIntervalMs, fetchMaxWaitMs: max(5, min(configuration.lingerMs, 100)),
            assignor: configuration.assignor
        )
        let listener = EventRebalanceListener(
            onRevoked: { [weak self] partitions in await self?.revoked(partitions) },
            onAssigned: { [weak self] partitions in await self?.assigned(partitions) ?? [:] }
        )
        consumer = try log.makeConsumer(settings, listener: listener)
        task = Task { await self.run() }
    }

    var assignment: [PartitionID] {
        get async { await consumer?.assignment() ?? [] }
    }

    /// Whether this consumer has received an assignment (possibly empty) at least once.
    var hasRebalanced: Bool {
        get async { await (consumer?.rebalances() ?? 0) > 0 }
    }

    private func fail(_ error: PipelineError) {
        guard failure == nil, !stopped else { return }
        failure = error
        onFailure(name, error)
    }

    // MARK: - Rebalances

    /// Where newly assigned partitions start (see the type's notes).
    func assigned(_ partitions: [PartitionID]) async -> [PartitionID: StartPosition] {
        for partition in partitions {
            buffers.drop(partition)
            storedAhead[partition] = nil
        }
        do {
            let stored = try await writer.storedOffsets(partitions)
            var starts: [PartitionID: StartPosition] = [:]
            for partition in partitions {
                starts[partition] = try await start(partition, stored: stored[partition])
            }
            return starts
        } catch {
            fail(PipelineError(error))
        }
        return [:]
    }

    private func start(_ partition: PartitionID, stored: Offset?) async throws -> StartPosition {
        let bounds = try await log.bounds(configuration.topic, partition: partition)
        let position = stored ?? .zero
        if position > bounds.end {
            guard case .skipUntilReproduced = aheadOfLog else {
                throw PipelineError.logBehindDatabase(group: group, path: writer.path, partition: partition, stored: position, logEnd: bounds.end)
            }
            if storedAhead.updateValue(position, forKey: partition) == nil {
                logger.warning("the database is ahead of the log, which lost its unsynced tail; skipping what it stored while the log is written again", metadata: [
                    "consumer": "\(name)", "database": "\(writer.path)", "partition": "\(partition)",
                    "stored": "\(position)", "log_end": "\(bounds.end)",
                ])
            }
            return .offset(bounds.end)
        }
        storedAhead[partition] = nil
        guard position < bounds.start else { return stored.map(StartPosition.offset) ?? .logStart }
        return try await recordGap(partition, from: position, to: bounds.start)
    }

    /// Retention deleted `from ..< to` before this group stored it: records the gap and
    /// carries on from `to` (or from wherever another consumer got to meanwhile).
    private func recordGap(_ partition: PartitionID, from: Offset, to: Offset) async throws -> StartPosition {
        switch try await writer.recordGap(consumer: name, partition: partition, from: from, to: to) {
        case .stored:
            logger.warning("events deleted from the log (by retention or DeleteRecords) before the group stored them", metadata: [
                "group": "\(group.rawValue)", "partition": "\(partition)", "from": "\(from)", "to": "\(to)",
            ])
            return .offset(to)
        case let .stale(storedOffset):
            return .offset(storedOffset)
        }
    }

    /// Writes what is buffered for partitions about to be taken away.
    func revoked(_ partitions: [PartitionID]) async {
        for partition in partitions {
            storedAhead[partition] = nil
            do {
                while buffers.buffers[partition] != nil { try await write(partition) }
            } catch {
                fail(PipelineError(error))
                buffers.drop(partition)
            }
        }
    }

    // MARK: - Polling and writing

    private func run() async {
        guard let consumer else { return }
        while !Task.isCancelled, failure == nil {
            do {
                let batches = try await consumer.poll()
                guard !stopped else { return }
                try await noteRebalance()
                let now = ContinuousClock.now
                for fetched in batches {
                    guard let batch = skippingStoredAhead(fetched) else { continue }
                    if case let .jumped(from, _) = stages.measure(.decode, { buffers.take(batch, now: now) }) {
                        try await resolveJump(batch, from: from, now: now)
                    }
                }
                try await writeDue(force: false)
            } catch {
                if Task.isCancelled || stopped { return }
                if case .cancelled = PipelineError(error) { return }
                fail(PipelineError(error))
                return
            }
        }
    }

    /// The part of a fetched batch at or past the database's stored offset, where the
    /// database is ahead of the log (nil when the whole batch is below it).
    private func skippingStoredAhead(_ batch: EventBatch) -> EventBatch? {
        guard let floor = storedAhead[batch.partition] else { return batch }
        guard batch.nextOffset > floor else { return nil }
        storedAhead[batch.partition] = nil
        let keep = batch.offsets.firstIndex { $0 >= floor } ?? batch.offsets.count
        return EventBatch(
            partition: batch.partition, offsets: Array(batch.offsets[keep...]), values: Array(batch.values[keep...]), nextOffset: batch.nextOffset
        )
    }

    /// Writes every chunk that is due (everything when forced).
    private func writeDue(force: Bool) async throws {
        for partition in buffers.due(now: .now, force: force) {
            while buffers.isDue(partition, now: .now, force: force) {
                try await write(partition)
            }
        }
    }

    /// Writes one chunk of a partition in one transaction.
    private func write(_ partition: PartitionID) async throws {
        if crashed { buffers.dropAll() }
        guard let chunk = buffers.chunk(partition) else { return }
        let outcome = try await writer.write(
            consumer: name, partition: partition, firstOffset: chunk.firstOffset, nextOffset: chunk.nextOffset, events: chunk.events,
            producedMs: producedMs()
        )
        switch outcome {
        case let .stale(storedOffset):
            buffers.drop(partition)
            try await resolve(partition, storedOffset: storedOffset)
        case .stored:
            if crashed {
                buffers.dropAll()
                return
            }
            buffers.stored(chunk, now: .now)
            await commitToLog(partition, chunk.nextOffset)
        }
    }

    /// A fetched batch starts after what is buffered. When the log no longer has the offsets
    /// in between (the position was reset to the log start after retention), the buffer is
    /// stored and the skipped offsets recorded as a gap before reading on; when it still has
    /// them, they hold no records and the batch is taken.
    private func resolveJump(_ batch: EventBatch, from: Offset, now: ContinuousClock.Instant) async throws {
        let partition = batch.partition
        if try await log.bounds(configuration.topic, partition: partition).start <= from {
            buffers.take(batch, now: now, acceptingJump: true)
            return
        }
        while buffers.buffers[partition] != nil { try await write(partition) }
        try await resolve(partition, storedOffset: from)
    }

    /// The database's stored offset is not where this consumer's chunk started: carry on
    /// from the stored offset (another consumer wrote the partition meanwhile), or from the
    /// log start after recording a gap, or stop when the log is behind the database.
    private func resolve(_ partition: PartitionID, storedOffset: Offset) async throws {
        guard !stopped, let consumer,
              // From a known stored offset, `start` answers an offset, never "the log start".
              case let .offset(offset) = try await start(partition, stored: storedOffset) else { return }
        try await consumer.seek(partition: partition, to: offset)
    }

    /// Mirrors the database's offsets into the log's committed offsets, so that lag tools see
    /// the group's progress. A refusal (the group rebalancing) loses nothing: the next commit
    /// carries the progress, and the database stays the source of truth.
    private func commitToLog(_ partition: PartitionID, _ next: Offset) async {
        guard let consumer else { return }
        do {
            try await consumer.commit([partition: next])
        } catch {
            commitFailures += 1
            if commitFailures == 1 || commitFailures.isMultiple(of: 100) {
                logger.info("offset commit to the log refused", metadata: [
                    "consumer": "\(name)", "partition": "\(partition)", "refused": "\(commitFailures)", "reason": "\(error)",
                ])
            }
        }
    }

    /// After rebalances, records in the group's database each round this member went through
    /// (what it revoked and was assigned) and each generation it led (when the log can
    /// tell), as the member assigned it.
    private func noteRebalance() async throws {
        guard let consumer else { return }
        let count = await consumer.rebalances()
        guard count != seenRebalances else { return }
        seenRebalances = count
        let context = rebalanceContext()
        let runSecond = context.simulatedMs.map { Double($0 - context.startMs) / 1000 }
        let rebalanceProtocol = Assignors.rebalanceProtocol([configuration.assignor])
        for round in await consumer.takeRounds() {
            try await writer.recordMemberRound(round, consumer: name, protocol: rebalanceProtocol, runSecond: runSecond)
        }
        for led in await consumer.takeLedGenerations() {
            try await writer.recordRebalance(generation: led.generation, assignment: led.assignment, context: context)
        }
    }

    // MARK: - Stopping

    /// Stops cleanly: finishes buffered writes and leaves the group.
    func stop() async {
        guard !stopped else { return }
        stopped = true
        task?.cancel()
        await task?.value
        do {
            try await writeDue(force: true)
            // A rebalance that ended after the last poll is recorded too.
            try await noteRebalance()
        } catch {
            logger.warning("could not store the last buffered events", metadata: ["consumer": "\(name)", "reason": "\(error)"])
        }
        await consumer?.close()
    }

    /// Stops as a crashed process would: no final writes, no leave; the group notices when
    /// the session times out.
    func crash() async {
        guard !stopped else { return }
        stopped = true
        crashed = true
        task?.cancel()
        buffers.dropAll()
        await consumer?.abandon()
    }
}
