import Foundation
import KafkaWire
import LogStore
import TestSupport
import Testing

/// DeleteRecords on a log: the start moves inside a segment and across whole ones, durably,
/// and a damaged note of where it moved is refused rather than bringing deleted records back.
@Suite struct DeleteRecordsTests {
    /// A log of `batches` batches of 10 records (about 600 bytes each) in 1 KiB segments: one
    /// batch a segment.
    func filledLog(_ dir: TemporaryDirectory, batches: Int = 10) throws -> PartitionLog {
        var configuration = LogConfiguration()
        configuration.segmentBytes = 1024
        let log = try PartitionLog(directory: dir.path, configuration: configuration)
        for _ in 0 ..< batches { _ = try log.append(TestBatches.make(10, valueSize: 50)) }
        return log
    }

    @Test func theStartMovesForReadersAndWholeSegmentsBelowItGo() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let log = try filledLog(dir)
        let segmentsBefore = log.segmentBaseOffsets
        #expect(segmentsBefore.count > 2, "the test needs several segments: \(segmentsBefore)")
        #expect(try log.deleteRecords(below: Offset(5)) == Offset(5), "inside the first batch")
        #expect(log.logStartOffset == Offset(5))
        #expect(log.segmentBaseOffsets == segmentsBefore, "no whole segment lies below offset 5")
        #expect(throws: LogError.self) { try log.read(from: Offset(4), maxBytes: 1 << 20) }
        // A read at the start returns the batch that holds it (clients skip the earlier records).
        let read = try log.read(from: Offset(5), maxBytes: 1 << 20)
        #expect(read.logStartOffset == Offset(5))
        #expect(!read.bytes.isEmpty)

        let target = segmentsBefore[2] + 3
        #expect(try log.deleteRecords(below: target) == target)
        #expect(log.segmentBaseOffsets == Array(segmentsBefore.dropFirst(2)), "the two segments wholly below \(target) are gone")
        #expect(try log.deleteRecords(below: Offset(7)) == target, "a start already past the offset stays")
        #expect(log.logEndOffset == Offset(100))
    }

    @Test func offsetsPastTheHighWatermarkOrNegativeAreOutOfRange() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let log = try filledLog(dir, batches: 2)
        for offset in [Offset(21), Offset(1_000), Offset(-1)] {
            let error = #expect(throws: LogError.self) { try log.deleteRecords(below: offset) }
            #expect(error?.kind == .offsetOutOfRange, "offset \(offset)")
        }
        #expect(log.logStartOffset == .zero, "nothing deleted by refused requests")
        #expect(try log.deleteRecords(below: Offset(20)) == Offset(20), "the high watermark itself empties the log")
        #expect(log.logStartOffset == log.logEndOffset)
        _ = try log.append(TestBatches.make(3))
        #expect(log.logEndOffset == Offset(23), "appends go on after the end")
    }

    @Test func theStartSurvivesACleanCloseAndAKill() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        var log = try filledLog(dir)
        try log.deleteRecords(below: Offset(15))
        try log.close()
        log = try PartitionLog(directory: dir.path, configuration: log.configuration)
        #expect(log.logStartOffset == Offset(15), "after a clean close")
        try log.deleteRecords(below: Offset(33))
        // No close: as after a kill -9, the next open recovers without the clean marker.
        let reopened = try PartitionLog(directory: dir.path, configuration: log.configuration)
        #expect(reopened.logStartOffset == Offset(33), "after an unclean stop")
        #expect(reopened.logEndOffset == Offset(100))
        let readOnly = try PartitionLog(directory: dir.path, configuration: log.configuration, readOnly: true)
        #expect(readOnly.logStartOffset == Offset(33), "read-only inspection sees the same start")
    }

    @Test func aDamagedCheckpointIsRefusedNamingTheFile() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let log = try filledLog(dir, batches: 3)
        try log.deleteRecords(below: Offset(12))
        try log.close()
        let path = dir.path + "/log-start-offset"
        var bytes = try #require(FileManager.default.contents(atPath: path))
        bytes[bytes.count / 2] ^= 0x40
        try bytes.write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: LogError.self) { try PartitionLog(directory: dir.path, configuration: log.configuration) }
        #expect(error?.kind == .corruptSegment)
        #expect(error?.path == path)
    }

    @Test func reconfigureChangesRetentionAndSegmentSizeButNotTheFlushPolicy() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let log = try filledLog(dir, batches: 1)
        var changed = log.configuration
        changed.segmentBytes = 1 << 20
        changed.retentionBytes = 4096
        try log.reconfigure(changed)
        #expect(log.configuration.segmentBytes == 1 << 20)
        #expect(log.configuration.retentionBytes == 4096)
        for _ in 0 ..< 20 { _ = try log.append(TestBatches.make(10, valueSize: 50)) }
        #expect(log.segmentBaseOffsets.count == 1, "the new 1 MiB limit decides when to roll, not the old 1 KiB")
        changed.flush = .everyAppend
        #expect(throws: LogError.self) { try log.reconfigure(changed) }
        changed.flush = log.flushPolicy
        changed.segmentBytes = 10
        #expect(throws: LogError.self) { try log.reconfigure(changed) }
        #expect(log.configuration.segmentBytes == 1 << 20, "a refused change changes nothing")
    }

    /// A power loss took back the unsynced tail after the checkpoint was synced: the log ends
    /// below its start. It starts over, empty, at the start, so an offset below it is never
    /// handed out again (before, the next appends got offsets the checkpoint hid after the
    /// following restart: acknowledged records vanished).
    @Test func aLogThatLostItsTailBelowItsStartStartsOverAtTheStart() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        var configuration = LogConfiguration()
        configuration.segmentBytes = 1 << 20
        var log = try PartitionLog(directory: dir.path, configuration: configuration)
        _ = try log.append(TestBatches.make(10, valueSize: 50))
        let firstBatch = log.sizeInBytes
        _ = try log.append(TestBatches.make(10, valueSize: 50))
        try log.deleteRecords(below: Offset(20))
        try log.close()
        // The second batch never reached the disk; the crash left no clean-shutdown marker.
        let segment = dir.path + "/00000000000000000000.log"
        try FileManager.default.removeItem(atPath: dir.path + "/.clean-shutdown")
        let handle = try #require(FileHandle(forWritingAtPath: segment))
        try handle.truncate(atOffset: UInt64(firstBatch))
        try handle.close()
        log = try PartitionLog(directory: dir.path, configuration: configuration)
        #expect(log.logStartOffset == Offset(20) && log.logEndOffset == Offset(20))
        #expect(try log.append(TestBatches.make(3)).baseOffset == Offset(20), "the next offset is past every deleted one")
        try log.close()
        let reopened = try PartitionLog(directory: dir.path, configuration: configuration)
        #expect(reopened.logStartOffset == Offset(20) && reopened.logEndOffset == Offset(23), "the new records stay")
        #expect(try TestBatches.values(reopened.read(from: Offset(20), maxBytes: 1 << 20).bytes) == ["v-0", "v-1", "v-2"])
    }

    /// Killed after the checkpoint was written but before the segments below it were removed:
    /// the next open removes them.
    @Test func segmentsLeftBelowTheStartByACrashAreRemovedOnTheNextOpen() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let log = try filledLog(dir, batches: 6)
        let kept = TemporaryDirectory()
        defer { kept.remove() }
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".log") || $0.hasSuffix("index") }
        for name in names { try FileManager.default.copyItem(atPath: dir.path + "/" + name, toPath: kept.path + "/" + name) }
        try log.deleteRecords(below: Offset(35))
        #expect(log.segmentBaseOffsets.count == 3)
        // As if the deletion of the old segments had not happened.
        for name in names where !FileManager.default.fileExists(atPath: dir.path + "/" + name) {
            try FileManager.default.copyItem(atPath: kept.path + "/" + name, toPath: dir.path + "/" + name)
        }
        let reopened = try PartitionLog(directory: dir.path, configuration: log.configuration)
        #expect(reopened.logStartOffset == Offset(35))
        #expect(reopened.segmentBaseOffsets == [Offset(30), Offset(40), Offset(50)], "the three wholly below 35 were removed again")
    }

    /// ListOffsets by time never answers a deleted offset, even when the first record that
    /// qualifies lies below the start inside the first batch.
    @Test func timestampLookupsSkipDeletedRecords() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let log = try PartitionLog(directory: dir.path)
        _ = try log.append(TestBatches.make(10, timestamp: 1_000))  // records at 1000 ... 1009
        try log.deleteRecords(below: Offset(5))
        #expect(try log.offset(atOrAfterTimestamp: 0) == Offset(5))
        #expect(try log.offset(atOrAfterTimestamp: 1_003) == Offset(5))
        #expect(try log.offset(atOrAfterTimestamp: 1_007) == Offset(7))
        #expect(try log.offset(atOrAfterTimestamp: 1_010) == nil)
    }
}
