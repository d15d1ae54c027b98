import Foundation
import KafkaWire
import LogStore
import TestSupport
import Testing

/// What the broker's maintenance asks of a log, on a manual clock: the timed flush, roll by
/// age, and retention that waits for the write time as well as the record time.
@Suite struct MaintenanceTests {
    @Test func timedFlushSyncsWhenItsIntervalRunsOutAndNotBefore() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let clock = ManualClock()
        var configuration = LogConfiguration()
        configuration.flush = .interval(records: nil, milliseconds: 1000)
        let log = try PartitionLog(directory: dir.path, configuration: configuration, clock: clock)
        #expect(log.flushDeadline == nil, "nothing waits to be synced")
        clock.advance(by: 10)
        _ = try log.append(TestBatches.make(5))
        #expect(log.flushedOffset == Offset(0))
        #expect(log.flushDeadline == clock.milliseconds() - 10 + 1000, "due one interval after the last flush (the open)")
        clock.advance(by: 989)
        #expect(try !log.flushIfDue())
        #expect(log.flushedOffset == Offset(0))
        clock.advance(by: 1)
        #expect(try log.flushIfDue())
        #expect(log.flushedOffset == Offset(5))
        #expect(log.flushDeadline == nil)
        #expect(try !log.flushIfDue(), "nothing new to sync")
        try log.close()
    }

    @Test func anActiveSegmentOlderThanSegmentAgeRolls() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let clock = ManualClock()
        var configuration = LogConfiguration()
        configuration.segmentMilliseconds = 60_000
        let log = try PartitionLog(directory: dir.path, configuration: configuration, clock: clock)
        #expect(try !log.rollIfAged(), "an empty segment never rolls")
        _ = try log.append(TestBatches.make(3, timestamp: clock.milliseconds()))
        clock.advance(by: 59_999)
        #expect(try !log.rollIfAged())
        clock.advance(by: 1)
        #expect(try log.rollIfAged())
        #expect(log.segmentBaseOffsets == [Offset(0), Offset(3)])
        #expect(try !log.rollIfAged(), "the new segment is empty")
        try log.close()
    }

    @Test func anIdleActiveSegmentStillRollsByAgeAfterAReopen() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        var configuration = LogConfiguration()
        configuration.segmentMilliseconds = 60_000
        let first = try PartitionLog(directory: dir.path, configuration: configuration)
        _ = try first.append(TestBatches.make(3))
        try first.close()
        let later = ManualClock(SystemWallClock().milliseconds())
        let reopened = try PartitionLog(directory: dir.path, configuration: configuration, clock: later)
        #expect(try !reopened.rollIfAged())
        later.advance(by: 60_001)
        #expect(try reopened.rollIfAged(), "aged from its last write before the reopen")
        try reopened.close()
    }

    /// Records that carry old event times (the simulation's day is in the past) stay until
    /// their segment has also not been written for the retention time; then even the active
    /// segment goes (rolled first), as Kafka does.
    @Test func retentionWaitsForTheWriteTimeAsWellAsTheRecordTime() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let clock = ManualClock()
        var configuration = LogConfiguration()
        configuration.segmentBytes = 4096
        configuration.retentionMilliseconds = 3_600_000
        let log = try PartitionLog(directory: dir.path, configuration: configuration, clock: clock)
        let monthAgo = clock.milliseconds() - 30 * 86_400_000
        for _ in 0 ..< 10 { _ = try log.append(TestBatches.make(10, timestamp: monthAgo, valueSize: 100)) }
        let segments = log.segmentBaseOffsets.count
        #expect(segments > 2)
        #expect(try log.enforceRetention().deletedSegments == 0, "written just now: kept despite month-old record times")
        clock.advance(by: 3_600_001)
        let result = try log.enforceRetention()
        #expect(result.deletedSegments == segments, "every segment, the active one rolled first")
        #expect(log.logStartOffset == Offset(100) && log.logEndOffset == Offset(100))
        #expect(log.oldestSegment.fileName == "00000000000000000100.log")
        try log.close()
    }

    @Test func retentionTimesSurviveAReopenThroughTheFilesModificationTime() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        var configuration = LogConfiguration()
        configuration.segmentBytes = 2048
        configuration.retentionMilliseconds = 3_600_000
        var log: PartitionLog? = try PartitionLog(directory: dir.path, configuration: configuration)
        for _ in 0 ..< 6 { _ = try log!.append(TestBatches.make(10, timestamp: 1_000, valueSize: 100)) }
        try log!.close()
        log = nil
        // Reopened two hours later by the clock: the files were written "now", so they stay.
        let later = ManualClock(SystemWallClock().milliseconds())
        let reopened = try PartitionLog(directory: dir.path, configuration: configuration, clock: later)
        #expect(try reopened.enforceRetention().deletedSegments == 0)
        later.advance(by: 2 * 3_600_000)
        #expect(try reopened.enforceRetention().deletedSegments > 0)
        try reopened.close()
    }
}

/// Blocking work on a thread of its own.
@Suite struct ThreadExecutorTests {
    actor Counter {
        let executor = ThreadExecutor(name: "test-counter")
        nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }
        var threads: Set<UInt> = []
        func record() { threads.insert(UInt(pthread_self())) }
    }

    @Test func performRunsInOrderOnOneThreadThatIsNotTheCallers() async throws {
        let executor = ThreadExecutor(name: "test-perform")
        let caller = UInt(pthread_self())
        var order: [Int] = []
        var threads: Set<UInt> = []
        for index in 0 ..< 20 {
            let (value, thread) = await executor.perform { (index, UInt(pthread_self())) }
            order.append(value)
            threads.insert(thread)
        }
        #expect(order == Array(0 ..< 20))
        #expect(threads.count == 1)
        #expect(!threads.contains(caller))
        struct Refused: Error {}
        await #expect(throws: Refused.self) { try await executor.perform { () throws(Refused) in throw Refused() } }
    }

    @Test func anActorWithItAsExecutorRunsOnItsThread() async {
        let counter = Counter()
        for _ in 0 ..< 10 { await counter.record() }
        let threads = await counter.threads
        #expect(threads.count == 1)
        let performed = await counter.executor.perform { UInt(pthread_self()) }
        #expect(threads == [performed], "the actor's jobs and perform share the one thread")
    }
}
