import CoreMetrics
import CPUTime
import Groups
import KafkaWire
import LogStore
import RideModel

/// The one owner of a group's SQLite file in this process. Every consumer of the group hands
/// its batches here; each batch and the offsets it consumed are committed in one transaction,
/// which is what makes the pipeline exactly-once.
///
/// The actor runs on a thread of its own (`ThreadExecutor`), never on Swift's cooperative
/// pool: a transaction may wait up to SQLite's busy timeout for the write lock (another
/// process's `consume`) and for the disk, and must not hold one of the pool's few threads
/// meanwhile. Each committed transaction is reported to `onCommit` (the run tracks its
/// completion from these reports, not by polling the file).
public actor SinkWriter {
    public nonisolated let group: GroupName
    public nonisolated let path: String
    public nonisolated let topic: String
    private let executor: ThreadExecutor
    private var connection: SinkConnection?
    private let onCommit: @Sendable (SinkCommit) -> Void
    private let metrics: SinkMetrics
    /// Transactions committed by this writer.
    public private(set) var transactions = 0
    public private(set) var events = 0
    public private(set) var rows = 0
    /// Events and transactions per consumer name, counted as they commit.
    public private(set) var byConsumer: [String: (events: Int, transactions: Int)] = [:]

    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    private init(connection: SinkConnection, executor: ThreadExecutor, metrics: SinkMetrics, onCommit: @escaping @Sendable (SinkCommit) -> Void) {
        self.metrics = metrics
        group = connection.group
        path = connection.path
        topic = connection.topic
        self.connection = connection
        self.executor = executor
        self.onCommit = onCommit
    }

    /// Opens (creating when absent) the group's database at `path`, on the writer's thread.
    ///
    /// - Parameters:
    ///   - tuned: WAL journal and `synchronous=NORMAL` (the pipeline's setting); false keeps
    ///     SQLite's defaults, as a naive application would (the benchmark's baseline).
    ///   - stages: where each transaction's CPU time is charged (processing, SQLite, commit).
    public static func open(
        group: GroupName, path: String, topic: String, tariff: Tariff, tuned: Bool = true, metrics: RunMetrics = .none,
        stages: StageTimes? = nil, onCommit: @escaping @Sendable (SinkCommit) -> Void = { _ in }
    ) async throws(SinkError) -> SinkWriter {
        let executor = ThreadExecutor(name: "ridestream-sqlite-\(group.rawValue)")
        let connection = try await executor.perform { () throws(SinkError) in
            try SinkConnection(group: group, path: path, topic: topic, tariff: tariff, tuned: tuned, stages: stages)
        }
        return SinkWriter(connection: connection, executor: executor, metrics: metrics.sink(group), onCommit: onCommit)
    }

    private func open() throws(SinkError) -> SinkConnection {
        guard let connection else { throw .closed(group: group, path: path) }
        return connection
    }

    /// The stored next offsets of `partitions` (absent when never written), read from the
    /// file: consumers of the group in other processes may have written it.
    public func storedOffsets(_ partitions: [PartitionID]) throws(SinkError) -> [PartitionID: Offset] {
        let connection = try open()
        var result: [PartitionID: Offset] = [:]
        do {
            for partition in partitions {
                if let stored = try connection.storedOffset(partition) { result[partition] = stored }
            }
        } catch {
            throw .sqlite(group: group, error)
        }
        return result
    }

    /// Every partition's stored next offset.
    public func allStoredOffsets() throws(SinkError) -> [PartitionID: Offset] { try open().allStoredOffsets() }

    /// Writes one partition's events and its new next offset in one transaction.
    ///
    /// - Parameters:
    ///   - firstOffset: where the consumer began this batch; when the stored offset differs,
    ///     another consumer has written the partition meanwhile and the batch is refused
    ///     (`.stale`) without writing anything.
    ///   - nextOffset: the offset after the batch (what is stored).
    ///   - producedMs: the simulated time production has reached, when known.
    public func write(
        consumer: String, partition: PartitionID, firstOffset: Offset, nextOffset: Offset, events batch: ArraySlice<PositionedEvent>,
        producedMs: Int64? = nil
    ) throws(SinkError) -> SinkWriteOutcome {
        let started = ContinuousClock.now
        let outcome = try open().write(
            consumer: consumer, partition: partition, firstOffset: firstOffset, nextOffset: nextOffset, events: batch, producedMs: producedMs
        )
        if case let .stored(written) = outcome {
            let took = (ContinuousClock.now - started).components
            metrics.commit.recordNanoseconds(took.seconds * 1_000_000_000 + took.attoseconds / 1_000_000_000)
            metrics.transactions.increment()
            metrics.events.increment(by: batch.count)
            metrics.rows.increment(by: written)
            transactions += 1
            events += batch.count
            rows += written
            byConsumer[consumer, default: (0, 0)].events += batch.count
            byConsumer[consumer, default: (0, 0)].transactions += 1
            onCommit(SinkCommit(partition: partition, nextOffset: nextOffset, events: batch.count, lastEventMs: batch.last?.event.ts))
        }
        return outcome
    }

    /// Records that retention deleted `from ..< to` of a partition before the group stored it,
    /// and moves the stored offset to `to`; `.stale` when the stored offset is not `from`.
    public func recordGap(consumer: String, partition: PartitionID, from: Offset, to: Offset) throws(SinkError) -> SinkWriteOutcome {
        let outcome = try open().recordGap(consumer: consumer, partition: partition, from: from, to: to)
        if case .stored = outcome {
            transactions += 1
            onCommit(SinkCommit(partition: partition, nextOffset: to, events: 0))
        }
        return outcome
    }

    /// Records a completed rebalance (once per generation): its row, its assignment rows and
    /// its story (`RebalanceRecord`), against the previous generation recorded.
    @discardableResult
    public func recordRebalance(generation: Int32, assignment: [String: [Int]], context: RebalanceContext) throws(SinkError) -> RebalanceRecord? {
        let record = try open().recordRebalance(generation: generation, assignment: assignment, context: context)
        if record != nil { metrics.rebalances.increment() }
        return record
    }

    /// Records one member's rebalance round (`member_rebalances`).
    public func recordMemberRound(_ round: MemberRound, consumer: String, protocol rebalanceProtocol: RebalanceProtocol, runSecond: Double?) throws(SinkError) {
        try open().recordMemberRound(round, consumer: consumer, protocol: rebalanceProtocol, runSecond: runSecond)
    }

    /// Every rebalance recorded in this group's database, by generation.
    public func rebalances() throws(SinkError) -> [RecordedRebalance] { try open().rebalances() }

    /// Every gap retention left in this group's data, oldest first.
    public func gaps() throws(SinkError) -> [LogGap] { try open().gaps() }

    /// Closes the file; later calls fail with `SinkError.closed`.
    public func close() { connection = nil }
}
