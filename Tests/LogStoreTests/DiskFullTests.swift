import Foundation
import Glibc
import KafkaWire
import LogStore
import TestSupport
import Testing

/// A log on a real, tiny file system (tmpfs) filled to the last byte: a failed write takes
/// the log offline, so no later batch can land behind the lost one.
@Suite(.serialized, .enabled(if: getuid() == 0, "mounting a tmpfs needs root")) struct DiskFullTests {
    static func batch(_ index: Int) -> [UInt8] { TestBatches.make(10, prefix: "b\(index)", valueSize: 200) }

    /// Appends batches until one fails; returns that error and how many were stored before it.
    static func appendUntilFull(_ log: PartitionLog, from first: Int) -> (error: LogError?, stored: Int) {
        for index in first ..< first + 200 {
            do { _ = try log.append(batch(index)) } catch { return (error, index - first) }
        }
        return (nil, 200)
    }

    @Test func aFailedWriteTakesTheLogOfflineUntilItIsReopened() throws {
        let disk = try #require(SmallDisk.mount(bytes: 1 << 20))
        defer { disk.unmount() }
        let directory = disk.file("partition-0")
        let log = try PartitionLog(directory: directory)
        for index in 0 ..< 10 { _ = try log.append(Self.batch(index)) }
        disk.fill()
        let (failure, more) = Self.appendUntilFull(log, from: 10)
        let first = try #require(failure, "the full disk refused no append")
        #expect(first.kind == .io)
        #expect(first.errno == ENOSPC)
        #expect(first.description.contains("No space left on device"), "\(first)")
        let storedEnd = Offset(Int64(10 + more) * 10)
        #expect(log.logEndOffset == storedEnd)

        // Room again, yet the log stays offline: a later batch must not follow a lost one.
        disk.free()
        let offline = #expect(throws: LogError.self) { _ = try log.append(Self.batch(999)) }
        #expect(offline?.kind == .offline)
        #expect(offline?.message.contains("No space left on device") == true, "\(String(describing: offline))")
        #expect(log.offlineReason?.errno == ENOSPC)
        #expect(log.logEndOffset == storedEnd)
        // Reads go on.
        let read = try log.read(from: .zero, maxBytes: 1 << 20)
        #expect(try RecordSet.decode(read.bytes, from: .zero).count == Int(storedEnd.rawValue))

        // Closing an offline log leaves no clean-shutdown marker: the next open scans.
        try log.close()
        #expect(!FileManager.default.fileExists(atPath: directory + "/.clean-shutdown"))
        let reopened = try PartitionLog(directory: directory)
        #expect(!reopened.recovery.cleanShutdown)
        #expect(reopened.logEndOffset == storedEnd)
        let appended = try reopened.append(Self.batch(1000))
        #expect(appended.baseOffset == storedEnd)
        try reopened.close()
    }

    @Test func aFailedSyncOrRollTakesTheLogOfflineToo() throws {
        let disk = try #require(SmallDisk.mount(bytes: 1 << 20))
        defer { disk.unmount() }
        var configuration = LogConfiguration()
        configuration.segmentBytes = 8 << 10
        let log = try PartitionLog(directory: disk.file("p"), configuration: configuration)
        _ = try log.append(Self.batch(0))
        disk.fill()
        // A roll writes the sealed segment's index files: it fails on the full disk.
        let (failure, _) = Self.appendUntilFull(log, from: 1)
        #expect(failure != nil)
        disk.free()
        #expect(log.offlineReason != nil)
        #expect((try? log.roll()) == nil)
        #expect(throws: LogError.self) { try log.flush() }
        try log.close()
    }
}
