import RideModel

/// One consumer of a group: polls its partitions, decodes events, and hands batches of up to
/// `batchSize` events (or whatever `lingerMs` gathered) to the group's `SinkWriter`, which
/// stores rows and offsets in one transaction. On assignment it starts from the offsets in the
/// group's database; on revocation it writes what it has buffered first.
actor PipelineConsumer {
    struct Buffer {
        var firstOffset: Int64
        var nextOffset: Int64
        var events: [PositionedEvent] = []
        var since: ContinuousClock.Instant
    }

    nonisolated let name: String
    nonisolated let group: GroupName
    private let log: any EventLog
    private let writer: SinkWriter
    private let configuration: PipelineConfiguration
    private var consumer: (any EventConsumer)!
    private var buffers: [Int: Buffer] = [:]
    private var task: Task<Void, Never>?
    private var seenRebalances = 0
    private(set) var records = 0
    private(set) var transactions = 0
    private(set) var undecodable = 0
    private(set) var failure: String?
    private(set) var stopped = false
    /// Set by `crash()`: nothing more is written, as after a real crash.
    private var crashed = false

    init(name: String, group: GroupName, log: any EventLog, writer: SinkWriter, configuration: PipelineConfiguration) {
        self.name = name
        self.group = group
        self.log = log
        self.writer = writer
        self.configuration = configuration
    }

    func start() throws {
        let settings = EventConsumerSettings(
            group: group.rawValue, clientID: name, topic: configuration.topic, sessionTimeoutMs: configuration.sessionTimeoutMs,
            heartbeatIntervalMs: configuration.heartbeatIntervalMs, fetchMaxWaitMs: max(5, min(configuration.lingerMs, 100)),
            assignor: configuration.assignor
        )
        let listener = EventRebalanceListener(
            onRevoked: { [weak self] partitions in await self?.flush(partitions) },
            onAssigned: { [weak self] partitions in await self?.starts(partitions) ?? [:] }
        )
        consumer = try log.makeConsumer(settings, listener: listener)
        task = Task { await self.run() }
    }

    var assignment: [Int] {
        get async { await consumer.assignment() }
    }

    /// Where newly assigned partitions start: the offsets stored in the group's database, or
    /// the log start for a partition the database has never seen — never the log's committed
    /// offsets, which the database may not match. Anything still buffered for them is stale.
    private func starts(_ partitions: [Int]) async -> [Int: Int64] {
        for partition in partitions { buffers[partition] = nil }
        do {
            let stored = try await writer.storedOffsets(partitions)
            var starts: [Int: Int64] = [:]
            for partition in partitions { starts[partition] = stored[partition] ?? EventRebalanceListener.logStart }
            return starts
        } catch {
            failure = "\(name): cannot read the stored offsets: \(error)"
            return [:]
        }
    }

    /// Whether this consumer has received an assignment (possibly empty) at least once.
    var hasRebalanced: Bool {
        get async { await consumer.rebalances() > 0 }
    }

    private func run() async {
        while !Task.isCancelled {
            do {
                let batches = try await consumer.poll()
                guard !stopped else { return }
                try await noteRebalance()
                for batch in batches { take(batch) }
                try await flushDue(force: false)
            } catch is CancellationError {
                return
            } catch {
                if Task.isCancelled { return }
                failure = "\(name): \(error)"
                return
            }
        }
    }

    private func take(_ batch: EventBatch) {
        let partition = batch.partition
        guard let first = batch.offsets.first else { return }
        var buffer = buffers[partition] ?? Buffer(firstOffset: first, nextOffset: first, since: .now)
        for index in batch.offsets.indices {
            // Records before the buffer's end were already taken (a re-fetch after a seek).
            guard batch.offsets[index] >= buffer.nextOffset else { continue }
            guard let value = batch.values[index], let event = try? LocationEvent.decode(value) else {
                undecodable += 1
                continue
            }
            buffer.events.append(PositionedEvent(partition: partition, offset: batch.offsets[index], event: event))
        }
        buffer.nextOffset = batch.nextOffset
        buffers[partition] = buffer
    }

    /// Writes buffers that are full or have waited `lingerMs` (all of them when forced).
    private func flushDue(force: Bool) async throws {
        let linger = Duration.milliseconds(configuration.lingerMs)
        for partition in buffers.keys.sorted() {
            while let buffer = buffers[partition], !buffer.events.isEmpty || buffer.nextOffset > buffer.firstOffset,
                  force || buffer.events.count >= configuration.batchSize || ContinuousClock.now - buffer.since >= linger {
                try await write(partition)
            }
        }
    }

    /// Writes up to `batchSize` buffered events of one partition in one transaction.
    private func write(_ partition: Int) async throws {
        if crashed { buffers = [:] }
        guard var buffer = buffers[partition] else { return }
        let take = min(buffer.events.count, configuration.batchSize)
        let chunk = Array(buffer.events.prefix(take))
        let rest = buffer.events.dropFirst(take)
        let next = rest.first?.offset ?? buffer.nextOffset
        do {
            _ = try await writer.write(consumer: name, partition: partition, firstOffset: buffer.firstOffset, nextOffset: next, events: chunk)
        } catch let stale as StaleBatchError {
            buffers[partition] = nil
            try await resolve(stale)
            return
        }
        if crashed {
            buffers = [:]
            return
        }
        records += chunk.count
        transactions += 1
        await commitToBroker(partition, next)
        if rest.isEmpty {
            buffers[partition] = nil
        } else {
            buffer.events = Array(rest)
            buffer.firstOffset = next
            buffer.since = .now
            buffers[partition] = buffer
        }
    }

    /// The database's stored offset is not where this consumer's buffer starts. Usually another
    /// consumer wrote the partition meanwhile: seek to the stored offset. If retention already
    /// deleted the log below it, the events in between are gone: record the gap (an empty
    /// batch moving the stored offset to the log start) and go on. If it is beyond the log end,
    /// the log lost events the database already has (an OS crash with the page-cache flush
    /// policy): stop with a message rather than guess.
    private func resolve(_ stale: StaleBatchError) async throws {
        guard !stopped else { return }
        let bounds = try await log.bounds(configuration.topic, partition: stale.partition)
        if stale.storedOffset > bounds.end {
            throw SinkError(
                "\(writer.path): partition \(stale.partition) is stored up to offset \(stale.storedOffset) but the log ends at \(bounds.end); the log lost events the database has (run with --fresh)"
            )
        }
        if stale.storedOffset < bounds.start {
            _ = try await writer.write(
                consumer: name, partition: stale.partition, firstOffset: stale.storedOffset, nextOffset: bounds.start, events: []
            )
            guard !stopped else { return }
            try await consumer.seek(partition: stale.partition, to: bounds.start)
            return
        }
        guard !stopped else { return }
        try await consumer.seek(partition: stale.partition, to: stale.storedOffset)
    }

    /// Mirrors the database's offsets into the broker's committed offsets, so that lag tools
    /// see the group's progress. The database stays the source of truth.
    private func commitToBroker(_ partition: Int, _ next: Int64) async {
        await consumer.commit([partition: next])
    }

    private func flush(_ partitions: [Int]) async {
        for partition in partitions {
            do {
                while buffers[partition] != nil { try await write(partition) }
            } catch {
                failure = "\(name): \(error)"
                buffers[partition] = nil
            }
        }
    }

    /// After a rebalance this member led, records the generation in the group's database
    /// (when the log can describe the group).
    private func noteRebalance() async throws {
        let count = await consumer.rebalances()
        guard count != seenRebalances else { return }
        seenRebalances = count
        guard await consumer.isLeader(), let snapshot = await log.describeGroup(group.rawValue) else { return }
        try await writer.recordRebalance(
            generation: snapshot.generation, members: Array(snapshot.assignment.keys), assignment: snapshot.assignment
        )
    }

    /// Stops cleanly: finishes buffered writes and leaves the group.
    func stop() async {
        guard !stopped else { return }
        stopped = true
        task?.cancel()
        await task?.value
        try? await flushDue(force: true)
        await consumer.close()
    }

    /// Stops as a crashed process would: no final writes, no leave; the group notices when
    /// the session times out.
    func crash() async {
        guard !stopped else { return }
        stopped = true
        crashed = true
        task?.cancel()
        buffers = [:]
        await consumer.abandon()
    }
}
