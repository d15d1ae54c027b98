import Foundation
import KafkaWire
import LogStore
import TestSupport
import Testing

@Suite struct PartitionLogTests {
    @Test func appendAssignsContiguousOffsetsAndReadsBack() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let log = try PartitionLog(directory: dir.path)
        let first = try log.append(TestBatches.make(3, prefix: "a"))
        let second = try log.append(TestBatches.make(2, prefix: "b"))
        #expect(first.baseOffset == Offset(0) && first.lastOffset == Offset(2))
        #expect(second.baseOffset == Offset(3) && second.lastOffset == Offset(4))
        #expect(log.logEndOffset == Offset(5))

        let all = try log.read(from: Offset(0), maxBytes: 1 << 20)
        #expect(try TestBatches.values(all.bytes) == ["a-0", "a-1", "a-2", "b-0", "b-1"])
        #expect(all.highWatermark == Offset(5))

        // Reading from inside a batch returns the whole batch that contains the offset.
        let middle = try log.read(from: Offset(4), maxBytes: 1 << 20)
        #expect(try TestBatches.values(middle.bytes) == ["b-0", "b-1"])
        #expect(try log.read(from: Offset(5), maxBytes: 100).bytes.isEmpty)
        try log.close()
    }

    @Test func readReturnsAtLeastOneBatchAndOnlyWholeBatches() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let log = try PartitionLog(directory: dir.path)
        for index in 0 ..< 5 { _ = try log.append(TestBatches.make(10, prefix: "p\(index)", valueSize: 100)) }
        let tiny = try log.read(from: Offset(0), maxBytes: 1)
        #expect(try TestBatches.values(tiny.bytes).count == 10)
        let batchSize = tiny.bytes.count
        let two = try log.read(from: Offset(0), maxBytes: batchSize * 2 + batchSize / 2)
        #expect(two.bytes.count == batchSize * 2)
        try log.close()
    }

    @Test func outOfRangeOffsetsAreTypedErrors() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let log = try PartitionLog(directory: dir.path)
        _ = try log.append(TestBatches.make(2))
        for offset in [Offset(-1), Offset(3), Offset(1000)] {
            let error = #expect(throws: LogError.self) { try log.read(from: offset, maxBytes: 100) }
            #expect(error?.kind == .offsetOutOfRange)
        }
    }

    @Test func rejectsOversizedAndInvalidBatchesWithoutLosingData() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        var configuration = LogConfiguration()
        configuration.maxBatchBytes = 2048
        let log = try PartitionLog(directory: dir.path, configuration: configuration)
        _ = try log.append(TestBatches.make(3))
        let big = TestBatches.make(30, valueSize: 100)
        #expect((try? log.append(big)) == nil)
        #expect(#expect(throws: LogError.self) { try log.append(big) }?.kind == .batchTooLarge)

        var corrupt = TestBatches.make(2)
        corrupt[corrupt.count - 1] ^= 0xff
        #expect(#expect(throws: LogError.self) { try log.append(corrupt) }?.kind == .invalidBatch)
        let twoBatches = TestBatches.make(1) + TestBatches.make(1)
        #expect(#expect(throws: LogError.self) { try log.append(twoBatches) }?.kind == .invalidBatch)
        #expect(#expect(throws: LogError.self) { try log.append([1, 2, 3]) }?.kind == .invalidBatch)

        #expect(log.logEndOffset == Offset(3))
        #expect(try TestBatches.values(log.read(from: .zero, maxBytes: 1 << 20).bytes) == ["v-0", "v-1", "v-2"])
    }

    @Test func rollsBySizeAndByAge() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let clock = ManualClock()
        var configuration = LogConfiguration()
        configuration.segmentBytes = 4096
        configuration.segmentMilliseconds = 60_000
        let log = try PartitionLog(directory: dir.path, configuration: configuration, clock: clock)
        let batch = TestBatches.make(10, valueSize: 100)  // about 1.3 KB
        for _ in 0 ..< 7 { _ = try log.append(batch) }
        let bySize = log.segmentBaseOffsets
        #expect(bySize.count >= 2)
        #expect(bySize.first == Offset(0))

        clock.advance(by: 61_000)
        _ = try log.append(batch)
        #expect(log.segmentBaseOffsets.count == bySize.count + 1)
        #expect(log.segmentBaseOffsets.last == Offset(70))
        #expect(try TestBatches.values(log.read(from: Offset(0), maxBytes: 1 << 20).bytes).count > 0)
        // Every offset is still readable across segments.
        var next = Offset(0)
        var seen = 0
        while next < log.logEndOffset {
            let read = try log.read(from: next, maxBytes: 1 << 20)
            let headers = try RecordBatch.validateAll(read.bytes)
            seen += headers.reduce(0) { $0 + Int($1.recordsCount) }
            next = headers.last!.nextOffset
        }
        #expect(seen == 80)
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        #expect(names.contains("00000000000000000000.log"))
        #expect(names.contains("00000000000000000070.log"))
    }

    @Test func retentionBySizeAndTimeDeletesWholeOldSegments() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let clock = ManualClock()
        var configuration = LogConfiguration()
        configuration.segmentBytes = 4096
        configuration.retentionBytes = 8192
        configuration.retentionMilliseconds = 3_600_000
        let log = try PartitionLog(directory: dir.path, configuration: configuration, clock: clock)
        let timestamp = clock.milliseconds()
        for _ in 0 ..< 20 { _ = try log.append(TestBatches.make(10, timestamp: timestamp, valueSize: 100)) }
        let before = log.segmentBaseOffsets
        let result = try log.enforceRetention()
        #expect(result.deletedSegments > 0)
        #expect(log.sizeInBytes >= 8192 - 4096)
        #expect(log.logStartOffset == result.logStartOffset)
        #expect(log.logStartOffset == before[result.deletedSegments])
        #expect(#expect(throws: LogError.self) { try log.read(from: Offset(0), maxBytes: 100) }?.kind == .offsetOutOfRange)
        #expect(try !log.read(from: log.logStartOffset, maxBytes: 100).bytes.isEmpty)

        clock.advance(by: 3_700_000)
        let timed = try log.enforceRetention()
        #expect(timed.deletedSegments > 0)
        #expect(log.segmentBaseOffsets.count == 1, "only the active segment stays")
        #expect(log.logEndOffset == Offset(200))
    }

    @Test func findsFirstOffsetAtOrAfterATimestamp() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        var configuration = LogConfiguration()
        configuration.indexIntervalBytes = 100
        let log = try PartitionLog(directory: dir.path, configuration: configuration)
        // Batch i holds records at 1000*i + 0..9.
        for index in 0 ..< 20 { _ = try log.append(TestBatches.make(10, timestamp: Int64(1000 * index))) }
        #expect(try log.offset(atOrAfterTimestamp: 0) == Offset(0))
        #expect(try log.offset(atOrAfterTimestamp: 5005) == Offset(55))
        #expect(try log.offset(atOrAfterTimestamp: 5010) == Offset(60))
        #expect(try log.offset(atOrAfterTimestamp: 19_009) == Offset(199))
        #expect(try log.offset(atOrAfterTimestamp: 19_010) == nil)
    }

    /// Headers from the batch that contains an offset to the log end, across segments and
    /// after a reopen (sealed segments' indexes unloaded).
    @Test func walksBatchHeadersAcrossSegments() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let log = try Self.reopenedSegmentedLog(dir, batches: 12)
        #expect(log.segmentBaseOffsets.count > 2)
        for (from, firstBatch) in [(0, 0), (35, 30), (40, 40), (119, 110)] {
            var bases: [Int64] = []
            try log.forEachBatchHeader(from: Offset(Int64(from))) { bases.append($0.baseOffset.rawValue) }
            #expect(bases == Array(stride(from: Int64(firstBatch), to: 120, by: 10)), "from \(from)")
        }
        var none = 0
        try log.forEachBatchHeader(from: Offset(120)) { _ in none += 1 }
        #expect(none == 0)
        try log.close()
    }

    /// Small and large batches mixed: the walk switches between chunked reads and reading a
    /// header alone after a large batch, and finds every batch either way.
    @Test func walksMixedBatchSizes() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let log = try PartitionLog(directory: dir.path)
        let sizes = [10, 6_000, 6_000, 20, 9_000, 30, 30, 12_000, 5]
        var bases: [Int64] = []
        for (index, size) in sizes.enumerated() {
            bases.append(try log.append(TestBatches.make(2, prefix: "m\(index)", valueSize: size)).baseOffset.rawValue)
        }
        var walked: [Int64] = []
        try log.forEachBatchHeader(from: .zero) { walked.append($0.baseOffset.rawValue) }
        #expect(walked == bases)
        walked = []
        try log.forEachBatchHeader(from: Offset(5)) { walked.append($0.baseOffset.rawValue) }
        #expect(walked == Array(bases.dropFirst(2)))
        try log.close()
    }

    /// A log of `batches` batches of 10 records in 4 KiB segments, closed and opened again.
    static func reopenedSegmentedLog(_ dir: TemporaryDirectory, batches: Int) throws -> PartitionLog {
        var configuration = LogConfiguration()
        configuration.segmentBytes = 4096
        do {
            let log = try PartitionLog(directory: dir.path, configuration: configuration)
            for index in 0 ..< batches { _ = try log.append(TestBatches.make(10, prefix: "b\(index)", valueSize: 100)) }
            try log.close()
        }
        return try PartitionLog(directory: dir.path, configuration: configuration)
    }

    @Test func reopensAfterCleanCloseWithSameContents() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let reopened = try Self.reopenedSegmentedLog(dir, batches: 10)
        #expect(reopened.recovery.cleanShutdown)
        #expect(reopened.recovery.scannedBytes == 0)
        #expect(reopened.logEndOffset == Offset(100))
        #expect(try reopened.append(TestBatches.make(1)).baseOffset == Offset(100))
        #expect(try TestBatches.values(reopened.read(from: Offset(95), maxBytes: 1 << 20).bytes).first?.hasPrefix("b9-0.") == true)
    }

    @Test func everyFlushPolicyStoresTheSameData() throws {
        for policy in [FlushPolicy.never, .everyAppend, .interval(records: 5, milliseconds: nil), .interval(records: nil, milliseconds: 10)] {
            let dir = TemporaryDirectory()
            defer { dir.remove() }
            var configuration = LogConfiguration()
            configuration.flush = policy
            let log = try PartitionLog(directory: dir.path, configuration: configuration)
            for _ in 0 ..< 10 { _ = try log.append(TestBatches.make(3)) }
            try log.flushIfDue()
            #expect(log.logEndOffset == Offset(30), "\(policy)")
            try log.close()
        }
    }

    @Test func invalidConfigurationIsRejectedByName() {
        var configuration = LogConfiguration()
        configuration.segmentBytes = 10
        let error = #expect(throws: LogError.self) { try PartitionLog(directory: "/tmp/unused", configuration: configuration) }
        #expect(error?.kind == .invalidConfiguration)
        #expect(error?.message.contains("segment bytes") == true)
    }

    /// A batch whose header claims more records than its bytes can hold (checksum and offset
    /// delta consistent) is refused before it is stored, so no reader ever trusts the count.
    @Test func aBatchClaimingMoreRecordsThanItsBytesHoldIsRefused() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let log = try PartitionLog(directory: dir.path)
        var batch = TestBatches.make(1)
        func put(_ value: Int32, at position: Int) {
            for index in 0 ..< 4 { batch[position + index] = UInt8(truncatingIfNeeded: value >> (24 - 8 * index)) }
        }
        put(999, at: 23)  // last offset delta
        put(1000, at: 57)  // records count
        put(Int32(bitPattern: batch.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[21...])) }), at: 17)
        let error = #expect(throws: LogError.self) { _ = try log.append(batch) }
        #expect(error?.kind == .invalidBatch)
        #expect(error?.message.contains("1000 records cannot fit in a batch of") == true, "\(String(describing: error))")
        #expect(log.logEndOffset == .zero)
    }
}
