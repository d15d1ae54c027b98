import Foundation
import Broker
import Groups
import KafkaWire
import LogStore
@testable import RidePipeline
import RideModel
import SQLite
import Synchronization
import TestSupport
import Testing

/// The pipeline consumer's rules without a whole pipeline: its buffers as a value, and the
/// consumer itself against a scripted log and a real database file.
@Suite struct PartitionBuffersTests {
    static let events = (0 ..< 10).map { index in
        var simulator = Simulator(settings: SimulatorSettings(drivers: 10, seed: 3, tickMs: 1000, startTime: 1_767_600_000_000, regions: Region.bengaluru))
        return simulator.step()[index]
    }

    static func batch(_ partition: Int, from first: Int64, count: Int) -> EventBatch {
        EventBatch(
            partition: PartitionID(partition), offsets: (0 ..< count).map { Offset(first + Int64($0)) },
            values: (0 ..< count).map { events[$0 % events.count].json()[...] }, nextOffset: Offset(first + Int64(count))
        )
    }

    @Test func fullBatchesAreDueAtOnceSmallerOnesAfterTheLinger() {
        let start = ContinuousClock.now
        var buffers = PartitionBuffers(batchSize: 4, linger: .milliseconds(200))
        buffers.take(Self.batch(0, from: 0, count: 6), now: start)
        buffers.take(Self.batch(1, from: 0, count: 2), now: start)
        #expect(buffers.due(now: start, force: false) == [PartitionID(0)], "partition 0 has a full chunk")
        let chunk = buffers.chunk(PartitionID(0))!
        #expect(chunk.firstOffset == Offset(0) && chunk.nextOffset == Offset(4) && chunk.events.count == 4)
        buffers.stored(chunk, now: start)
        #expect(buffers.buffers[PartitionID(0)]?.firstOffset == Offset(4))
        #expect(buffers.due(now: start + .milliseconds(199), force: false).isEmpty)
        #expect(buffers.due(now: start + .milliseconds(200), force: false) == [PartitionID(0), PartitionID(1)])
        #expect(buffers.due(now: start, force: true) == [PartitionID(0), PartitionID(1)])
        let rest = buffers.chunk(PartitionID(0))!
        #expect(rest.firstOffset == Offset(4) && rest.nextOffset == Offset(6))
        buffers.stored(rest, now: start)
        #expect(buffers.buffers[PartitionID(0)] == nil, "nothing left")
    }

    /// A backlog of several batches comes out chunk after chunk, each ending where the first
    /// event it leaves behind starts, while more is read in between.
    @Test func aBacklogIsWrittenInChunksThatFollowEachOther() {
        let now = ContinuousClock.now
        var buffers = PartitionBuffers(batchSize: 4, linger: .seconds(10))
        buffers.take(Self.batch(0, from: 0, count: 10), now: now)
        var written: [[Int64]] = []
        var ends: [Int64] = []
        while let chunk = buffers.chunk(PartitionID(0)), !chunk.events.isEmpty {
            written.append(chunk.events.map(\.offset.rawValue))
            ends.append(chunk.nextOffset.rawValue)
            buffers.stored(chunk, now: now)
            if written.count == 1 { buffers.take(Self.batch(0, from: 10, count: 3), now: now) }
        }
        #expect(written == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11], [12]])
        #expect(ends == [4, 8, 12, 13])
        #expect(buffers.buffers[PartitionID(0)] == nil, "nothing left")
    }

    /// Storing a chunk moves the slice's start without copying; the stored events are let go
    /// once they outnumber those left, the rest moved to storage of their own.
    @Test func storedEventsAreLetGoOnceTheyOutnumberTheRest() {
        let now = ContinuousClock.now
        var buffers = PartitionBuffers(batchSize: 4, linger: .seconds(10))
        buffers.take(Self.batch(0, from: 0, count: 10), now: now)
        buffers.stored(buffers.chunk(PartitionID(0))!, now: now)
        let kept = buffers.buffers[PartitionID(0)]!.events
        #expect(kept.startIndex == 4 && kept.count == 6, "4 stored, 6 left: the storage is kept")
        buffers.stored(buffers.chunk(PartitionID(0))!, now: now)
        let moved = buffers.buffers[PartitionID(0)]!.events
        #expect(moved.startIndex == 0 && moved.map(\.offset.rawValue) == [8, 9], "8 stored, 2 left: the 2 moved")
    }

    @Test func aBatchStartingAfterTheBufferIsNotTakenUnlessAccepted() {
        let now = ContinuousClock.now
        var buffers = PartitionBuffers(batchSize: 100, linger: .seconds(10))
        buffers.take(Self.batch(0, from: 0, count: 5), now: now)
        #expect(buffers.take(Self.batch(0, from: 40, count: 5), now: now) == .jumped(from: Offset(5), to: Offset(40)))
        #expect(buffers.chunk(PartitionID(0))?.nextOffset == Offset(5), "nothing of the later batch taken")
        #expect(buffers.take(Self.batch(0, from: 40, count: 5), now: now, acceptingJump: true) == .taken)
        #expect(buffers.chunk(PartitionID(0))?.nextOffset == Offset(45))
    }

    @Test func aRefetchIsNotTakenTwiceAndUndecodableRecordsStillAdvance() {
        let now = ContinuousClock.now
        var buffers = PartitionBuffers(batchSize: 100, linger: .seconds(10))
        buffers.take(Self.batch(0, from: 0, count: 5), now: now)
        buffers.take(Self.batch(0, from: 3, count: 4), now: now)  // offsets 3 ... 6 again after a seek
        var garbage = Self.batch(0, from: 7, count: 1)
        garbage.values = [Array("not json".utf8)[...]]
        buffers.take(garbage, now: now)
        let chunk = buffers.chunk(PartitionID(0))!
        #expect(chunk.events.map(\.offset.rawValue) == [0, 1, 2, 3, 4, 5, 6])
        #expect(chunk.nextOffset == Offset(8), "the undecodable record's offset is covered")
        #expect(buffers.undecodable == 1)
        buffers.drop(PartitionID(0))
        #expect(buffers.isEmpty)
    }
}

/// The group's database writer: exactly-once fencing, gaps, the schema.
@Suite struct SinkWriterTests {
    static func open(_ path: String) async throws -> SinkWriter {
        try await SinkWriter.open(group: .analytics, path: path, topic: "t", tariff: Tariff())
    }

    static func positioned(_ partition: Int, _ offsets: Range<Int64>) -> ArraySlice<PositionedEvent> {
        offsets.map { PositionedEvent(partition: PartitionID(partition), offset: Offset($0), event: PartitionBuffersTests.events[Int($0) % 10]) }[...]
    }

    /// Two writers on one file, as two processes of a group would be: a batch that does not
    /// start at the stored offset is refused, writes nothing, and says where the partition is.
    @Test func aBatchNotStartingAtTheStoredOffsetIsRefusedAndWritesNothing() async throws {
        let dir = TemporaryDirectory("sink")
        defer { dir.remove() }
        let first = try await Self.open(dir.file("analytics.sqlite"))
        let second = try await Self.open(dir.file("analytics.sqlite"))
        let stored = try await first.write(consumer: "a", partition: PartitionID(0), firstOffset: .zero, nextOffset: Offset(5), events: Self.positioned(0, 0 ..< 5))
        guard case .stored = stored else { return #expect(Bool(false), "first batch refused: \(stored)") }
        let stale = try await second.write(consumer: "b", partition: PartitionID(0), firstOffset: .zero, nextOffset: Offset(5), events: Self.positioned(0, 0 ..< 5))
        #expect(stale == .stale(storedOffset: Offset(5)))
        let next = try await second.write(consumer: "b", partition: PartitionID(0), firstOffset: Offset(5), nextOffset: Offset(8), events: Self.positioned(0, 5 ..< 8))
        guard case .stored = next else { return #expect(Bool(false), "next batch refused: \(next)") }
        let database = try Database(path: dir.file("analytics.sqlite"), create: false, readOnly: true)
        #expect(try database.scalar("SELECT count(*) FROM location_events") == 8)
        #expect(try database.scalar(#"SELECT next_offset FROM consumer_offsets WHERE "partition" = 0"#) == 8)
        #expect(try database.scalar("SELECT count(*) FROM batches") == 2)
        let (byFirst, bySecond) = (await first.byConsumer, await second.byConsumer)
        #expect(byFirst["a"]?.events == 5 && bySecond["b"]?.transactions == 1)
        await first.close()
        await #expect(throws: SinkError.self) { try await first.allStoredOffsets() }
    }

    /// Support keeps the drivers' rows it wrote and updates a row in place when its status
    /// stays; when another connection (a consumer of the group in another process) has written
    /// the file between two of its batches, it reads the drivers from the file again. Here the
    /// other writer put the driver on a trip: a kept row would still say available, and the
    /// in-place update would leave the file saying on a trip after the driver was available again.
    @Test func aSupportWriterRereadsTheDriversAnotherConnectionWrote() async throws {
        let dir = TemporaryDirectory("sink")
        defer { dir.remove() }
        let path = dir.file("support.sqlite")
        let first = try await SinkWriter.open(group: .support, path: path, topic: "t", tariff: Tariff())
        let second = try await SinkWriter.open(group: .support, path: path, topic: "t", tariff: Tariff())
        func at(_ offset: Int64, _ status: DriverStatus) -> ArraySlice<PositionedEvent> {
            let trip = status == .onTrip ? "T00001-1" : nil
            let event = LocationEvent(
                eventId: "000000\(offset)-D00001", driverId: "D00001", region: "koramangala", lat: 12.93 + Double(offset) * 0.0001, lon: 77.61,
                speedKmh: 20, status: status, tripId: trip, riderId: trip.map { _ in "R00001-1" }, milestone: nil, surge: 1, ts: 1_767_600_000_000 + offset * 1000
            )
            return [PositionedEvent(partition: PartitionID(0), offset: Offset(offset), event: event)]
        }
        let database = try Database(path: path, create: false, readOnly: true)
        let status = { try database.scalar("SELECT count(*) FROM driver_status WHERE status = 'available' AND updated_ms = \(1_767_600_000_000 + $0 * 1000)") }
        for (writer, offset, driver) in [(first, Int64(0), DriverStatus.available), (first, 1, .available), (second, 2, .onTrip), (first, 3, .available)] {
            let outcome = try await writer.write(consumer: "c", partition: PartitionID(0), firstOffset: Offset(offset), nextOffset: Offset(offset + 1), events: at(offset, driver))
            #expect(outcome == .stored(rows: 1), "batch at \(offset)")
        }
        #expect(try status(3) == 1, "the driver is available again, as last reported")
        #expect(try database.scalar("SELECT count(*) FROM driver_status") == 1)
    }

    /// A partition never stored counts as stored up to 0: a first batch that starts later
    /// would skip events silently, so it is refused.
    @Test func aFirstBatchThatSkipsTheStartIsRefused() async throws {
        let dir = TemporaryDirectory("sink")
        defer { dir.remove() }
        let writer = try await Self.open(dir.file("analytics.sqlite"))
        let skipping = try await writer.write(consumer: "a", partition: PartitionID(1), firstOffset: Offset(3), nextOffset: Offset(5), events: Self.positioned(1, 3 ..< 5))
        #expect(skipping == .stale(storedOffset: .zero))
        #expect(try await writer.storedOffsets([PartitionID(1)]).isEmpty)
    }

    @Test func aGapMovesTheStoredOffsetOnceAndIsListed() async throws {
        let dir = TemporaryDirectory("sink")
        defer { dir.remove() }
        let commits = Mutex<[SinkCommit]>([])
        let writer = try await SinkWriter.open(group: .fare, path: dir.file("fare.sqlite"), topic: "t", tariff: Tariff()) { commit in
            commits.withLock { $0.append(commit) }
        }
        #expect(try await writer.recordGap(consumer: "fare-1", partition: PartitionID(2), from: .zero, to: Offset(40)) == .stored(rows: 1))
        #expect(try await writer.recordGap(consumer: "fare-2", partition: PartitionID(2), from: .zero, to: Offset(40)) == .stale(storedOffset: Offset(40)))
        #expect(try await writer.gaps() == [LogGap(partition: 2, from: 0, to: 40, consumer: "fare-1")])
        #expect(try await writer.storedOffsets([PartitionID(2)]) == [PartitionID(2): Offset(40)])
        #expect(commits.withLock { $0 } == [SinkCommit(partition: PartitionID(2), nextOffset: Offset(40), events: 0)])
    }

    /// A database of an older schema version (6: `location_events` a table with generated
    /// texts; 5: text-keyed and text-timed) or of an unknown one is refused untouched, naming
    /// both versions.
    @Test(arguments: [Int64(6), 5, 1, 99])
    func otherSchemaVersionsAreRefusedUntouched(version: Int64) async throws {
        let dir = TemporaryDirectory("sink")
        defer { dir.remove() }
        let path = dir.file("analytics.sqlite")
        _ = try await SinkWriter.open(group: .analytics, path: path, topic: "t", tariff: Tariff()).close()
        try Database(path: path).execute("PRAGMA user_version = \(version);")
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let refusal = SinkError.schemaVersion(group: .analytics, path: path, found: version, expected: SinkSchema.version)
        await #expect(throws: refusal) {
            _ = try await SinkWriter.open(group: .analytics, path: path, topic: "t", tariff: Tariff())
        }
        #expect(refusal.description.contains("schema version \(version), this build uses 7"), "\(refusal)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    }
}

// MARK: - The consumer against a scripted log

/// A log whose bounds the test sets and whose one consumer the test drives.
final class ScriptedLog: EventLog, @unchecked Sendable {
    let bounds = Mutex<[PartitionID: LogBounds]>([:])
    let consumer = Mutex<ScriptedConsumer?>(nil)
    var name: String { "a scripted log" }

    func prepareTopic(_ topic: String, partitions: Int, replicationFactor: Int) async throws(PipelineError) -> Int { partitions }
    func bounds(_ topic: String, partition: PartitionID) async throws(PipelineError) -> LogBounds {
        bounds.withLock { $0[partition] } ?? LogBounds(start: .zero, end: .zero)
    }
    func makeProducer(_ settings: EventProducerSettings) throws(PipelineError) -> any EventProducer { fatalError("not used") }
    func makeConsumer(_ settings: EventConsumerSettings, listener: EventRebalanceListener) throws(PipelineError) -> any EventConsumer {
        let made = ScriptedConsumer(listener: listener)
        consumer.withLock { $0 = made }
        return made
    }
    func describeGroup(_ group: String) async -> GroupSnapshot? { nil }
    func committedOffsets(_ group: String, topic: String) async -> [PartitionID: Offset]? { nil }
    func forEachStoredRecord(
        _ topic: String, partition: PartitionID, _ body: (Offset, ArraySlice<UInt8>?, ArraySlice<UInt8>?) -> Void
    ) async throws(PipelineError) {}
    func close() async throws(PipelineError) {}
}

/// A group member whose rebalances and fetched batches come from the test.
final class ScriptedConsumer: EventConsumer, @unchecked Sendable {
    struct Record {
        var pending: [[EventBatch]] = []
        var assignment: [PartitionID] = []
        var rebalances = 0
        var seeks: [PartitionID: Offset] = [:]
        var commits: [[PartitionID: Offset]] = []
        var closed = false
        var abandoned = false
        /// Polls since the last `deliver`.
        var polls = 0
    }

    let listener: EventRebalanceListener
    let state = Mutex(Record())

    init(listener: EventRebalanceListener) { self.listener = listener }

    /// A rebalance giving this member `partitions`; returns where the pipeline starts them.
    func assign(_ partitions: [PartitionID]) async -> [PartitionID: StartPosition] {
        let starts = await listener.onAssigned(partitions)
        state.withLock {
            $0.assignment = partitions
            $0.rebalances += 1
        }
        return starts
    }

    func revoke() async {
        let owned = state.withLock { $0.assignment }
        await listener.onRevoked(owned)
        state.withLock { $0.assignment = [] }
    }

    func deliver(_ batches: [EventBatch]) {
        state.withLock {
            $0.pending.append(batches)
            $0.polls = 0
        }
    }

    /// Delivers `batches` and waits until the consumer has taken them: a poll returned them and
    /// the next poll began, so the consumer finished with them.
    func deliverAndWaitTaken(_ batches: [EventBatch]) async throws {
        deliver(batches)
        while state.withLock({ !$0.pending.isEmpty || $0.polls < 2 }) { try await Task.sleep(for: .milliseconds(1)) }
    }

    func poll() async throws(PipelineError) -> [EventBatch] {
        let next = state.withLock { state -> [EventBatch]? in
            state.polls += 1
            return state.pending.isEmpty ? nil : state.pending.removeFirst()
        }
        if let next { return next }
        try? await Task.sleep(for: .milliseconds(2))
        return []
    }
    func assignment() async -> [PartitionID] { state.withLock { $0.assignment } }
    func rebalances() async -> Int { state.withLock { $0.rebalances } }
    func takeLedGenerations() async -> [GroupSnapshot] { [] }
    func takeRounds() async -> [MemberRound] { [] }
    func seek(partition: PartitionID, to offset: Offset) async throws(PipelineError) { state.withLock { $0.seeks[partition] = offset } }
    func commit(_ offsets: [PartitionID: Offset]) async throws(PipelineError) { state.withLock { $0.commits.append(offsets) } }
    func close() async { state.withLock { $0.closed = true } }
    func abandon() async { state.withLock { $0.abandoned = true } }
}

/// What a consumer reported as failures.
final class FailureLog: Sendable {
    let list = Mutex<[PipelineError]>([])
}

@Suite struct PipelineConsumerTests {
    /// A consumer of the analytics group on a scripted log, with the group's real database,
    /// and a stream of what the database committed.
    struct Harness {
        let dir = TemporaryDirectory("consumer")
        let log = ScriptedLog()
        let writer: SinkWriter
        let consumer: PipelineConsumer
        let commits: AsyncStream<SinkCommit>
        let failures = FailureLog()

        init(lingerMs: Int64 = 0, batchSize: Int = 1000) async throws {
            var configuration = PipelineConfiguration()
            configuration.topic = "t"
            configuration.lingerMs = lingerMs
            configuration.batchSize = batchSize
            let (commits, continuation) = AsyncStream<SinkCommit>.makeStream()
            self.commits = commits
            writer = try await SinkWriter.open(group: .analytics, path: dir.file("analytics.sqlite"), topic: "t", tariff: Tariff()) {
                continuation.yield($0)
            }
            let failures = failures
            consumer = PipelineConsumer(name: "analytics-1", group: .analytics, log: log, writer: writer, configuration: configuration) {
                _, error in failures.list.withLock { $0.append(error) }
            }
            try await consumer.start()
        }

        var scripted: ScriptedConsumer { log.consumer.withLock { $0! } }

        func stored(_ partition: Int) async throws -> Offset? { try await writer.storedOffsets([PartitionID(partition)])[PartitionID(partition)] }

        /// Waits for the next commit of the database.
        func nextCommit() async -> SinkCommit? {
            for await commit in commits { return commit }
            return nil
        }
    }

    @Test func assignedPartitionsStartFromTheDatabaseNeverFromTheLogsCommits() async throws {
        let harness = try await Harness()
        defer { harness.dir.remove() }
        _ = try await harness.writer.write(consumer: "earlier", partition: PartitionID(0), firstOffset: .zero, nextOffset: Offset(10), events: [])
        _ = try await harness.writer.write(consumer: "earlier", partition: PartitionID(2), firstOffset: .zero, nextOffset: Offset(5), events: [])
        harness.log.bounds.withLock {
            $0 = [PartitionID(0): LogBounds(start: .zero, end: Offset(100)), PartitionID(1): LogBounds(start: .zero, end: Offset(100)),
                  PartitionID(2): LogBounds(start: Offset(20), end: Offset(100))]
        }
        let starts = await harness.scripted.assign([PartitionID(0), PartitionID(1), PartitionID(2)])
        #expect(starts[PartitionID(0)] == .offset(Offset(10)), "the stored offset")
        #expect(starts[PartitionID(1)] == .logStart, "never stored: the log start")
        #expect(starts[PartitionID(2)] == .offset(Offset(20)), "stored below the log start: the gap is recorded, reading goes on at the start")
        #expect(try await harness.writer.gaps() == [LogGap(partition: 2, from: 5, to: 20, consumer: "analytics-1")])
        #expect(try await harness.stored(2) == Offset(20))
        #expect(harness.failures.list.withLock { $0.isEmpty })
        await harness.consumer.stop()
    }

    @Test func aDatabaseAheadOfItsLogStopsTheConsumer() async throws {
        let harness = try await Harness()
        defer { harness.dir.remove() }
        _ = try await harness.writer.write(consumer: "earlier", partition: PartitionID(0), firstOffset: .zero, nextOffset: Offset(50), events: [])
        harness.log.bounds.withLock { $0 = [PartitionID(0): LogBounds(start: .zero, end: Offset(30))] }
        _ = await harness.scripted.assign([PartitionID(0)])
        let failure = harness.failures.list.withLock { $0.first }
        guard case let .logBehindDatabase(group, _, partition, stored, logEnd)? = failure else {
            Issue.record("expected logBehindDatabase, got \(String(describing: failure))")
            return
        }
        #expect(group == .analytics && partition == PartitionID(0) && stored == Offset(50) && logEnd == Offset(30))
        await harness.consumer.stop()
    }

    @Test func revocationStoresWhatIsBufferedFirstAndCommitsItToTheLog() async throws {
        let harness = try await Harness(lingerMs: 60_000)
        defer { harness.dir.remove() }
        harness.log.bounds.withLock { $0 = [PartitionID(0): LogBounds(start: .zero, end: Offset(7))] }
        _ = await harness.scripted.assign([PartitionID(0)])
        try await harness.scripted.deliverAndWaitTaken([PartitionBuffersTests.batch(0, from: 0, count: 7)])
        #expect(try await harness.stored(0) == nil, "waiting for the linger")
        await harness.scripted.revoke()
        #expect(try await harness.stored(0) == Offset(7), "written before the partition went")
        #expect(harness.scripted.state.withLock { $0.commits } == [[PartitionID(0): Offset(7)]])
        await harness.consumer.stop()
        #expect(harness.scripted.state.withLock { $0.closed })
    }

    @Test func aCrashedConsumerWritesNothingMoreAndDoesNotLeave() async throws {
        let harness = try await Harness(lingerMs: 60_000)
        defer { harness.dir.remove() }
        harness.log.bounds.withLock { $0 = [PartitionID(0): LogBounds(start: .zero, end: Offset(7))] }
        _ = await harness.scripted.assign([PartitionID(0)])
        try await harness.scripted.deliverAndWaitTaken([PartitionBuffersTests.batch(0, from: 0, count: 7)])
        await harness.consumer.crash()
        await harness.consumer.stop()
        await harness.scripted.revoke()
        #expect(try await harness.stored(0) == nil)
        let record = harness.scripted.state.withLock { $0 }
        #expect(record.abandoned && !record.closed)
    }

    /// The log's start moved past what the consumer had buffered and its position was reset
    /// there: the buffer is stored, the skipped offsets recorded as a gap, and reading goes on.
    @Test func aPositionResetPastTheBufferStoresItAndRecordsTheGap() async throws {
        let harness = try await Harness(lingerMs: 60_000)
        defer { harness.dir.remove() }
        harness.log.bounds.withLock { $0 = [PartitionID(0): LogBounds(start: .zero, end: Offset(100))] }
        _ = await harness.scripted.assign([PartitionID(0)])
        try await harness.scripted.deliverAndWaitTaken([PartitionBuffersTests.batch(0, from: 0, count: 5)])
        harness.log.bounds.withLock { $0 = [PartitionID(0): LogBounds(start: Offset(40), end: Offset(100))] }
        harness.scripted.deliver([PartitionBuffersTests.batch(0, from: 40, count: 5)])
        for _ in 0 ..< 400 where harness.scripted.state.withLock({ $0.seeks.isEmpty }) { try await Task.sleep(for: .milliseconds(5)) }
        #expect(try await harness.writer.gaps() == [LogGap(partition: 0, from: 5, to: 40, consumer: "analytics-1")])
        #expect(harness.scripted.state.withLock { $0.seeks } == [PartitionID(0): Offset(40)], "reads on from the log start")
        #expect(try await harness.stored(0) == Offset(40))
        #expect(try Database(path: harness.dir.file("analytics.sqlite"), readOnly: true).scalar("SELECT count(*) FROM location_events") == 5)
        await harness.consumer.stop()
    }

    /// Another consumer stored the partition meanwhile: the chunk is refused and the consumer
    /// carries on from the stored offset.
    @Test func aStaleChunkIsDroppedAndTheConsumerSeeksToTheStoredOffset() async throws {
        let harness = try await Harness()
        defer { harness.dir.remove() }
        harness.log.bounds.withLock { $0 = [PartitionID(0): LogBounds(start: .zero, end: Offset(20))] }
        _ = await harness.scripted.assign([PartitionID(0)])
        _ = try await harness.writer.write(
            consumer: "other", partition: PartitionID(0), firstOffset: .zero, nextOffset: Offset(10), events: SinkWriterTests.positioned(0, 0 ..< 10)
        )
        _ = await harness.nextCommit()
        harness.scripted.deliver([PartitionBuffersTests.batch(0, from: 0, count: 5)])
        for _ in 0 ..< 200 where harness.scripted.state.withLock({ $0.seeks.isEmpty }) { try await Task.sleep(for: .milliseconds(5)) }
        #expect(harness.scripted.state.withLock { $0.seeks } == [PartitionID(0): Offset(10)])
        #expect(try await harness.stored(0) == Offset(10), "nothing written by the stale chunk")
        await harness.consumer.stop()
    }
}

/// Retention for real: a group that falls behind a log whose start moved records the gap.
@Suite struct RetentionGapTests {
    @Test func aGroupWhoseStoredOffsetFellBelowTheLogStartRecordsTheGapAndGoesOn() async throws {
        let dir = TemporaryDirectory("gap")
        defer { dir.remove() }
        let clock = ManualClock(SystemWallClock().milliseconds())
        var brokerConfiguration = BrokerConfiguration(dataDirectory: dir.file("broker"))
        brokerConfiguration.log.segmentBytes = 8192
        brokerConfiguration.log.retentionMilliseconds = 3_600_000
        brokerConfiguration.groups.minSessionTimeoutMs = 500  // as a run's broker allows
        let broker = try Broker(configuration: brokerConfiguration, clock: clock)
        let log = BuiltInEventLog(broker: broker)
        _ = try await log.prepareTopic("t", partitions: 1, replicationFactor: 1)
        var producer = try log.makeProducer(EventProducerSettings(topic: "t", batchBytes: 4096, lingerMs: 1))
        var simulator = Simulator(settings: SimulatorSettings(drivers: 50, seed: 9))
        for half in 0 ..< 2 {
            for _ in 0 ..< 10 {
                for event in simulator.step() {
                    try await producer.send(partition: PartitionID(0), key: Array(event.driverId.utf8), value: event.json(), headers: [], timestamp: event.ts)
                }
            }
            try await producer.close()
            producer = try log.makeProducer(EventProducerSettings(topic: "t", batchBytes: 4096, lingerMs: 1))
            // The first half was written more than the retention time before the second.
            if half == 0 { clock.advance(by: 3_600_001) }
        }
        #expect(broker.maintain(retention: true).deletedSegments > 0)
        let bounds = try await log.bounds("t", partition: PartitionID(0))
        let start = bounds.start
        #expect(start > .zero && start <= Offset(500) && bounds.end == Offset(1000), "\(bounds)")

        var configuration = PipelineConfiguration()
        configuration.topic = "t"
        configuration.lingerMs = 5
        let writer = try await SinkWriter.open(group: .analytics, path: dir.file("analytics.sqlite"), topic: "t", tariff: Tariff())
        let consumer = PipelineConsumer(name: "analytics-1", group: .analytics, log: log, writer: writer, configuration: configuration)
        try await consumer.start()
        for _ in 0 ..< 2000 where try await writer.storedOffsets([PartitionID(0)])[PartitionID(0)] != Offset(1000) {
            clock.advance(by: 20)  // the group's deadlines run on the broker's clock
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(await consumer.failure == nil)
        await consumer.stop()
        #expect(try await writer.gaps() == [LogGap(partition: 0, from: 0, to: start.rawValue, consumer: "analytics-1")])
        #expect(await writer.events == Int(1000 - start.rawValue), "everything the log still had was stored")
        try broker.close()
    }
}
