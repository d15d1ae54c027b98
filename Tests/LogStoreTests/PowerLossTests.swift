import Foundation
import KafkaWire
@testable import LogStore
import TestSupport
import Testing

/// Power loss through `PowerLossSimulation`: the log's files keep only what was fsynced, files
/// created in a directory never synced vanish. What each flush policy promises is what
/// survives.
@Suite struct PowerLossTests {
    static func batch(_ index: Int) -> [UInt8] { TestBatches.make(10, prefix: "p\(index)", valueSize: 120) }

    /// A log in a fresh simulated directory, and the directory.
    static func simulatedLog(_ configuration: LogConfiguration) throws -> (PartitionLog, TemporaryDirectory, String) {
        let root = TemporaryDirectory("power-loss")
        PowerLossSimulation.shared.simulate(root: root.path)
        let directory = root.file("partition-0")
        return (try PartitionLog(directory: directory, configuration: configuration), root, directory)
    }

    /// Loses power under `root`, closes the dead log (which can write nothing more) and ends
    /// the simulation, so the directory reopens as a machine restarted would see it.
    static func losePower(_ log: PartitionLog, _ root: TemporaryDirectory) {
        PowerLossSimulation.shared.losePower(root: root.path)
        try? log.close()
        PowerLossSimulation.shared.release(root: root.path)
    }

    /// Every record of the log, read segment by segment.
    static func records(_ log: PartitionLog) throws -> [BatchRecord] {
        var records: [BatchRecord] = []
        var next = log.logStartOffset
        while next < log.logEndOffset {
            let read = try log.read(from: next, maxBytes: 1 << 20)
            let decoded = try RecordSet.decode(read.bytes, from: next)
            guard let last = decoded.last else { break }
            records += decoded
            next = last.offset + 1
        }
        return records
    }

    @Test func withEveryAppendNoAcknowledgedRecordIsLost() throws {
        var configuration = LogConfiguration()
        configuration.flush = .everyAppend
        configuration.segmentBytes = 16 << 10
        let (log, root, directory) = try Self.simulatedLog(configuration)
        defer { root.remove() }
        var acknowledged: [[UInt8]] = []
        for index in 0 ..< 60 {
            _ = try log.append(Self.batch(index))
            acknowledged.append(Self.batch(index))
        }
        Self.losePower(log, root)

        let reopened = try PartitionLog(directory: directory, configuration: configuration)
        defer { try? reopened.close() }
        #expect(!reopened.recovery.cleanShutdown)
        #expect(reopened.logEndOffset == Offset(600))
        let expected = try acknowledged.flatMap { try RecordSet.decode($0, from: .zero).map { $0.value.map(Array.init) } }
        #expect(try Self.records(reopened).map { $0.value.map(Array.init) } == expected)
    }

    @Test func withEveryAppendNoReaderSeesARecordThatWasNotSynced() throws {
        var configuration = LogConfiguration()
        configuration.flush = .everyAppend
        let (log, root, directory) = try Self.simulatedLog(configuration)
        defer { root.remove() }
        for index in 0 ..< 3 { _ = try log.append(Self.batch(index)) }
        PowerLossSimulation.shared.failSyncs(root: root.path)
        // The write lands in the page cache, its fsync fails: never acknowledged, never read.
        #expect(throws: LogError.self) { try log.append(Self.batch(3)) }
        #expect(log.logEndOffset == Offset(40))
        #expect(log.highWatermark == Offset(30))
        let tail = try log.read(from: Offset(30), maxBytes: 1 << 20)
        #expect(tail.bytes.isEmpty)
        #expect(tail.highWatermark == Offset(30))
        let all = try log.read(from: .zero, maxBytes: 1 << 20)
        #expect(try RecordSet.decode(all.bytes, from: .zero).map(\.offset) == (0 ..< 30).map { Offset(Int64($0)) })
        Self.losePower(log, root)

        let reopened = try PartitionLog(directory: directory, configuration: configuration)
        defer { try? reopened.close() }
        #expect(reopened.logEndOffset == Offset(30))
        #expect(reopened.highWatermark == Offset(30))
    }

    /// Linux reports a failed write-back once: a later sync succeeds over pages that were never
    /// written. Nothing after the failure (retention's roll of an expired active segment here)
    /// may move the high watermark over them.
    @Test func aSyncAfterAFailedOneNeverMakesTheLostRecordsReadable() throws {
        var configuration = LogConfiguration()
        configuration.flush = .everyAppend
        configuration.retentionMilliseconds = 60_000
        let clock = ManualClock()
        let root = TemporaryDirectory("power-loss")
        defer { root.remove() }
        PowerLossSimulation.shared.simulate(root: root.path)
        let log = try PartitionLog(directory: root.file("partition-0"), configuration: configuration, clock: clock)
        for index in 0 ..< 3 { _ = try log.append(Self.batch(index)) }
        PowerLossSimulation.shared.failSyncs(root: root.path, times: 1)
        #expect(throws: LogError.self) { try log.append(Self.batch(3)) }
        clock.advance(by: 120_000)
        _ = try log.enforceRetention()
        #expect(log.highWatermark == Offset(30))
        #expect(try log.read(from: Offset(30), maxBytes: 1 << 20).bytes.isEmpty)
        Self.losePower(log, root)
    }

    @Test func withoutEveryAppendReadersSeeTheWholeLog() throws {
        let (log, root, _) = try Self.simulatedLog(LogConfiguration())
        defer { root.remove() }
        for index in 0 ..< 3 { _ = try log.append(Self.batch(index)) }
        #expect(log.flushedOffset == .zero)
        #expect(log.highWatermark == Offset(30))
        #expect(try RecordSet.decode(try log.read(from: Offset(20), maxBytes: 1 << 20).bytes, from: Offset(20)).count == 10)
        Self.losePower(log, root)
    }

    @Test func withoutFlushesWhatSurvivesIsTheSyncedPrefix() throws {
        var configuration = LogConfiguration()
        configuration.segmentBytes = 8 << 10  // rolls (and so fsyncs) every few batches
        let (log, root, directory) = try Self.simulatedLog(configuration)
        defer { root.remove() }
        for index in 0 ..< 40 { _ = try log.append(Self.batch(index)) }
        let synced = log.flushedOffset
        #expect(synced > .zero && synced < Offset(400), "the test needs a synced prefix and an unsynced tail, got \(synced)")
        Self.losePower(log, root)

        let reopened = try PartitionLog(directory: directory, configuration: configuration)
        defer { try? reopened.close() }
        // Exactly the synced prefix: nothing past it, nothing missing below it.
        #expect(reopened.logEndOffset == synced)
        let offsets = try Self.records(reopened).map { $0.offset }
        #expect(offsets.map(\.rawValue) == Array(0 ..< synced.rawValue))
        // And it takes appends at the end again.
        #expect(try reopened.append(Self.batch(99)).baseOffset == synced)
    }

    @Test func anUnsyncedActiveSegmentVanishesAndTheLogStillOpens() throws {
        let (log, root, directory) = try Self.simulatedLog(LogConfiguration())
        defer { root.remove() }
        for index in 0 ..< 20 { _ = try log.append(Self.batch(index)) }
        #expect(log.flushedOffset == .zero)
        Self.losePower(log, root)
        let reopened = try PartitionLog(directory: directory)
        defer { try? reopened.close() }
        #expect(reopened.logEndOffset == .zero)
        #expect(try reopened.append(Self.batch(0)).baseOffset == .zero)
    }

    @Test func aNewPartitionDirectorySurvivesAndAFileNeverMadeDurableIsGone() throws {
        let root = TemporaryDirectory("power-loss")
        defer { root.remove() }
        PowerLossSimulation.shared.simulate(root: root.path)
        let log = try PartitionLog(directory: root.file("made-later/0"))
        _ = try log.append(Self.batch(0))
        // A file created without its directory being synced afterwards: not durable.
        let stray = try FileDescriptor(path: root.file("made-later/0/stray"), create: true)
        try stray.write(Array("x".utf8), at: 0)
        try stray.sync()
        Self.losePower(log, root)
        // The log made its directories durable as it created them.
        #expect(FileManager.default.fileExists(atPath: root.file("made-later/0/00000000000000000000.log")))
        #expect(!FileManager.default.fileExists(atPath: root.file("made-later/0/stray")))
        let reopened = try PartitionLog(directory: root.file("made-later/0"))
        #expect(reopened.logEndOffset == .zero)
        try reopened.close()
    }

    @Test func truncatedBytesNeverComeBackAndAFileMadeAnewStartsClean() throws {
        let root = TemporaryDirectory("power-loss")
        defer {
            PowerLossSimulation.shared.release(root: root.path)
            root.remove()
        }
        PowerLossSimulation.shared.simulate(root: root.path)
        let path = root.file("f")
        let file = try FileDescriptor(path: path, create: true)
        try file.write([UInt8](repeating: 0xAA, count: 8192), at: 0)
        try file.sync()
        // Cut to 100 bytes, then grow past the old end without writing the gap.
        try file.truncate(to: 100)
        try file.write([0xBB], at: 9000)
        try file.sync()
        let bytes = try file.read(count: 9001, at: 0)
        #expect(bytes[0 ..< 100].allSatisfy { $0 == 0xAA })
        #expect(bytes[100 ..< 9000].allSatisfy { $0 == 0 }, "bytes the truncation hid came back")
        #expect(bytes[9000] == 0xBB)
        #expect(FileDamage.size(path) == 9001)

        // Removed behind the registry's back (as Foundation's removeItem does), then made again
        // at the same path: the new file owes nothing to the old one's pages.
        try file.write([UInt8](repeating: 0xCC, count: 64), at: 0)
        try FileManager.default.removeItem(atPath: path)
        let again = try FileDescriptor(path: path, create: true)
        #expect(try again.size() == 0)
        #expect(try again.read(count: 64, at: 0).isEmpty)
    }

    @Test func afterACleanCloseEverythingSurvivesAndIndexesAreRebuiltIfLost() throws {
        var configuration = LogConfiguration()
        configuration.segmentBytes = 8 << 10
        configuration.indexIntervalBytes = 256
        let (log, root, directory) = try Self.simulatedLog(configuration)
        defer { root.remove() }
        for index in 0 ..< 40 { _ = try log.append(Self.batch(index)) }
        try log.close()  // syncs the data; the index files are written without a sync
        PowerLossSimulation.shared.losePower(root: root.path)
        PowerLossSimulation.shared.release(root: root.path)

        let reopened = try PartitionLog(directory: directory, configuration: configuration)
        defer { try? reopened.close() }
        #expect(reopened.logEndOffset == Offset(400))
        // Lookups in the middle work: an index that lost its bytes was rebuilt, not trusted.
        let middle = try reopened.read(from: Offset(237), maxBytes: 4096)
        #expect(try RecordSet.decode(middle.bytes, from: Offset(237)).first?.offset == Offset(237))
    }

    @Test func aDeadDiskRefusesWritesAndTheLogGoesOffline() throws {
        var configuration = LogConfiguration()
        configuration.flush = .everyAppend
        let (log, root, _) = try Self.simulatedLog(configuration)
        defer {
            try? log.close()
            PowerLossSimulation.shared.release(root: root.path)
            root.remove()
        }
        _ = try log.append(Self.batch(0))
        PowerLossSimulation.shared.losePower(root: root.path)
        let refused = #expect(throws: LogError.self) { _ = try log.append(Self.batch(1)) }
        #expect(refused?.errno == EIO)
        #expect(log.logEndOffset == Offset(10))
    }
}
