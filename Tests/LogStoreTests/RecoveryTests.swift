import Foundation
import KafkaWire
import LogStore
import TestSupport
import Testing

/// Crash and corruption tests: real garbage in real files, then reopen and check exactly what
/// recovery kept.
@Suite struct RecoveryTests {
    /// Writes `batches` batches of 10 records (values "b<i>-<j>") and leaves the log as a crash
    /// would: no close, so no clean-shutdown marker.
    static func crashedLog(_ dir: TemporaryDirectory, batches: Int, configuration: LogConfiguration = LogConfiguration()) throws -> [Int] {
        let log = try PartitionLog(directory: dir.path, configuration: configuration)
        var sizes: [Int] = []
        for index in 0 ..< batches {
            let batch = TestBatches.make(10, prefix: "b\(index)", valueSize: 50)
            sizes.append(batch.count)
            _ = try log.append(batch)
        }
        try log.flush()
        simulateCrash(log)
        return sizes
    }

    /// Drops the log without closing it: the marker is never written.
    static func simulateCrash(_ log: PartitionLog) {
        CrashedLogs.keep(log)
    }

    static let segment = "00000000000000000000"

    @Test func truncatedMidBatchKeepsEveryWholeBatch() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let sizes = try Self.crashedLog(dir, batches: 5)
        let path = dir.file(Self.segment + ".log")
        let fourBatches = sizes.prefix(4).reduce(0, +)
        FileDamage.truncate(path, to: fourBatches + 30)  // half of the fifth batch

        let log = try PartitionLog(directory: dir.path)
        #expect(!log.recovery.cleanShutdown)
        #expect(log.recovery.truncatedBytes == 30)
        #expect(log.logEndOffset == Offset(40))
        #expect(FileDamage.size(path) == fourBatches)
        let values = try TestBatches.values(log.read(from: .zero, maxBytes: 1 << 20).bytes)
        #expect(values.count == 40)
        #expect(values.last?.hasPrefix("b3-9.") == true)
        // The log keeps working after recovery.
        #expect(try log.append(TestBatches.make(1)).baseOffset == Offset(40))
    }

    /// A damaged batch with whole batches after it is not what a crash leaves (a crash can
    /// only tear the end): it is refused as corruption, naming file, byte and offset, and
    /// nothing is cut.
    @Test func aFlippedByteInAMiddleBatchIsCorruptionAndNothingIsCut() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let sizes = try Self.crashedLog(dir, batches: 5)
        let path = dir.file(Self.segment + ".log")
        let thirdStart = sizes.prefix(2).reduce(0, +)
        FileDamage.flipByte(path, at: thirdStart + 100)  // inside the third batch's records

        let error = #expect(throws: LogError.self) { _ = try PartitionLog(directory: dir.path) }
        #expect(error?.kind == .corruptSegment)
        #expect(error?.path == path)
        #expect(error?.message.contains("batch at byte \(thirdStart) (offset 20) is damaged") == true, "\(String(describing: error))")
        #expect(FileDamage.size(path) == sizes.reduce(0, +), "nothing was cut")
        // Read-only inspection says the same and writes nothing either.
        #expect(throws: LogError.self) { _ = try PartitionLog(directory: dir.path, readOnly: true) }
    }

    @Test func aFlippedByteInTheLastBatchCutsItAndCountsItsRecords() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let sizes = try Self.crashedLog(dir, batches: 5)
        let path = dir.file(Self.segment + ".log")
        FileDamage.flipByte(path, at: sizes.prefix(4).reduce(0, +) + 100)

        let log = try PartitionLog(directory: dir.path)
        #expect(log.logEndOffset == Offset(40))
        #expect(log.recovery.truncatedBytes == sizes[4])
        #expect(log.recovery.truncatedRecords == 10)
        #expect(log.recovery.problem?.contains("checksumMismatch") == true)
        #expect(try TestBatches.values(log.read(from: .zero, maxBytes: 1 << 20).bytes).count == 40)
    }

    @Test func aFlippedBaseOffsetOutsideTheChecksumIsCaught() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let sizes = try Self.crashedLog(dir, batches: 3)
        let path = dir.file(Self.segment + ".log")
        FileDamage.flipByte(path, at: sizes[0] + 7)  // low byte of the second batch's base offset
        let error = #expect(throws: LogError.self) { _ = try PartitionLog(directory: dir.path) }
        #expect(error?.message.contains("batch base offset") == true, "\(String(describing: error))")

        FileDamage.flipByte(path, at: sizes[0] + 7)
        FileDamage.flipByte(path, at: sizes[0] + sizes[1] + 7)  // now the last batch's
        let log = try PartitionLog(directory: dir.path)
        #expect(log.logEndOffset == Offset(20))
    }

    /// With an `.interval` flush, the position synced last is kept (`recovery-point`): damage
    /// below it is corruption even at the very end of the log.
    @Test func damageBelowTheRecoveryPointIsCorruptionEvenAtTheEnd() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        var configuration = LogConfiguration()
        configuration.flush = .interval(records: 50, milliseconds: nil)
        let sizes = try Self.crashedLog(dir, batches: 5, configuration: configuration)  // 50 records: flushed
        #expect(FileManager.default.fileExists(atPath: dir.file("recovery-point")))
        FileDamage.flipByte(dir.file(Self.segment + ".log"), at: sizes.prefix(4).reduce(0, +) + 100)
        let error = #expect(throws: LogError.self) { _ = try PartitionLog(directory: dir.path, configuration: configuration) }
        #expect(error?.message.contains("below the last synced position \(sizes.reduce(0, +))") == true, "\(String(describing: error))")
    }

    /// Opened read-only, a torn tail is left out of the log in memory and reported; the file,
    /// its indexes and the missing clean marker stay exactly as they were.
    @Test func readOnlyRecoveryReportsATornTailAndWritesNothing() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let sizes = try Self.crashedLog(dir, batches: 3)
        let path = dir.file(Self.segment + ".log")
        FileDamage.truncate(path, to: sizes.reduce(0, +) - 20)
        let before = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        let modified = try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date

        let log = try PartitionLog(directory: dir.path, readOnly: true)
        #expect(log.logEndOffset == Offset(20))
        #expect(log.recovery.truncatedBytes == sizes[2] - 20)
        #expect(log.recovery.truncatedRecords == 10)
        let refused = #expect(throws: LogError.self) { _ = try log.append(TestBatches.make(1)) }
        #expect(refused?.kind == .readOnly)
        try log.close()
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == before)
        #expect(FileDamage.size(path) == sizes.reduce(0, +) - 20)
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date == modified)
    }

    /// After a clean close nothing is scanned on open, yet a batch damaged since is never
    /// handed out: reads check every batch, stop before the damaged one, and a read that
    /// starts at it fails naming the file, byte and offset.
    @Test func aBatchDamagedAfterACleanCloseIsNeverRead() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        var sizes: [Int] = []
        do {
            let log = try PartitionLog(directory: dir.path)
            for index in 0 ..< 4 {
                let batch = TestBatches.make(10, prefix: "b\(index)", valueSize: 50)
                sizes.append(batch.count)
                _ = try log.append(batch)
            }
            try log.close()
        }
        let path = dir.file(Self.segment + ".log")
        let thirdStart = sizes.prefix(2).reduce(0, +)
        FileDamage.flipByte(path, at: thirdStart + 80)
        let log = try PartitionLog(directory: dir.path)
        #expect(log.recovery.cleanShutdown)
        #expect(try TestBatches.values(log.read(from: .zero, maxBytes: 1 << 20).bytes).count == 20)
        let error = #expect(throws: LogError.self) { _ = try log.read(from: Offset(20), maxBytes: 1 << 20) }
        #expect(error?.kind == .corruptSegment)
        #expect(error?.message.contains("batch at byte \(thirdStart) (offset 20) fails its check") == true, "\(String(describing: error))")
    }

    @Test func garbageAppendedAfterTheLastBatchIsCut() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let sizes = try Self.crashedLog(dir, batches: 3)
        let path = dir.file(Self.segment + ".log")
        FileDamage.append(path, (0 ..< 500).map { UInt8(truncatingIfNeeded: $0 &* 37) })

        let log = try PartitionLog(directory: dir.path)
        #expect(log.logEndOffset == Offset(30))
        #expect(log.recovery.truncatedBytes == 500)
        #expect(FileDamage.size(path) == sizes.reduce(0, +))
    }

    @Test func damagedIndexIsRebuiltAfterCleanClose() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        var configuration = LogConfiguration()
        configuration.indexIntervalBytes = 1
        do {
            let log = try PartitionLog(directory: dir.path, configuration: configuration)
            for index in 0 ..< 20 { _ = try log.append(TestBatches.make(10, prefix: "b\(index)")) }
            try log.close()
        }
        let index = dir.file(Self.segment + ".index")
        #expect(FileDamage.size(index) == 20 * 8)
        // Garbage positions that still look ordered: lookups must notice and rebuild.
        for entry in 1 ..< 20 { FileDamage.flipByte(index, at: entry * 8 + 6) }
        let log = try PartitionLog(directory: dir.path, configuration: configuration)
        for offset in stride(from: 0, to: 200, by: 7) {
            let values = try TestBatches.values(log.read(from: Offset(Int64(offset)), maxBytes: 1).bytes)
            #expect(values.first == "b\(offset / 10)-0")
        }

        // A torn index file (not a whole number of entries) is rebuilt on open.
        try log.close()
        FileDamage.truncate(index, to: 13)
        let again = try PartitionLog(directory: dir.path, configuration: configuration)
        #expect(again.recovery.rebuiltIndexes == 1)
        #expect(try TestBatches.values(again.read(from: Offset(155), maxBytes: 1).bytes).first == "b15-0")
    }

    @Test func corruptionInsideASealedSegmentIsReportedNotSkipped() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        var configuration = LogConfiguration()
        configuration.segmentBytes = 2048
        _ = try Self.crashedLog(dir, batches: 10, configuration: configuration)
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".log") }.sorted()
        #expect(names.count >= 3)
        // Break a header in the middle of the first (sealed) segment and drop its index so the
        // open has to walk it.
        let sealed = dir.file(names[0])
        FileDamage.flipByte(sealed, at: 16)  // the first batch's magic byte
        try FileManager.default.removeItem(atPath: dir.file(Self.segment + ".index"))
        let sizeBefore = FileDamage.size(sealed)

        let error = #expect(throws: LogError.self) { try PartitionLog(directory: dir.path, configuration: configuration) }
        #expect(error?.kind == .corruptSegment)
        #expect(error?.path == sealed)
        #expect(FileDamage.size(sealed) == sizeBefore, "nothing is deleted")
    }

    @Test func emptyActiveSegmentAfterCrashOpensCleanly() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        _ = try Self.crashedLog(dir, batches: 0)
        let log = try PartitionLog(directory: dir.path)
        #expect(log.logEndOffset == .zero)
        #expect(log.recovery.truncatedBytes == 0)
    }
}

/// Holds crashed logs forever so their deinit never closes them (a real crash never does).
enum CrashedLogs {
    nonisolated(unsafe) static var kept: [PartitionLog] = []
    static let lock = NSLock()

    static func keep(_ log: PartitionLog) {
        lock.lock()
        kept.append(log)
        lock.unlock()
    }
}
