import KafkaWire
import RideModel

/// Where an interrupted run's production stopped, found exactly and checked against the seed
/// before `--resume` produces anything.
///
/// The producer sends each partition its events in simulator order, and a partition stores a
/// prefix of what was sent to it: a failed batch stops the producer and takes the partition's
/// log offline (`BatchSender`, `PartitionLog`), so no later batch lands behind a lost one.
/// Partition p's log end therefore says exactly which of its events are stored: the first
/// `ends[p]` in simulator order, those below the log start deleted by retention since.
/// `--resume` replays the simulator and produces, per partition, the events past that count
/// (`Cursor`), whatever order regions and drivers interleave in.
///
/// That holds only for a log this configuration's producer wrote, so `verify` replays the
/// simulator up to the log ends first and compares every stored record's key and value with
/// the event the seed gives for its offset, by a 64-bit digest per block of
/// `blockRecords` records (memory: 8 bytes per block). A log that differs (a gap left by an
/// older build, another producer's records, another seed, driver count or partition table)
/// is refused with the partition and the first block that differs.
struct ResumePoint: Sendable {
    static let blockRecords: Int64 = 1024

    /// Per partition, the log start and end offsets.
    let starts: [Offset]
    let ends: [Offset]
    /// Per partition, the digest of each block of stored records, from the block holding the
    /// log start: block `b` covers offsets `b * blockRecords ..< (b + 1) * blockRecords`.
    private let digests: [[UInt64]]

    /// Events the interrupted run produced, including any retention has deleted since.
    var produced: Int { ends.reduce(0) { $0 + Int($1.rawValue) } }
    /// Events the log holds now.
    var stored: Int { zip(starts, ends).reduce(0) { $0 + Int($1.1.rawValue - $1.0.rawValue) } }

    /// Reads every partition of `topic` from its log start, keeping block digests only.
    init(log: any EventLog, topic: String, partitionCount: Int) async throws(PipelineError) {
        var starts: [Offset] = []
        var ends: [Offset] = []
        var digests: [[UInt64]] = []
        for partition in (0 ..< partitionCount).map(PartitionID.init) {
            let bounds = try await log.bounds(topic, partition: partition)
            var blocks = BlockDigests(start: bounds.start, end: bounds.end)
            try await log.forEachStoredRecord(topic, partition: partition) { offset, key, value in
                blocks.add(offset: offset, key: key, value: value)
            }
            starts.append(bounds.start)
            ends.append(bounds.end)
            digests.append(blocks.finished)
        }
        self.starts = starts
        self.ends = ends
        self.digests = digests
    }

    /// Replays the simulator up to the log ends and compares the stored records with the
    /// seed's events; throws `.resumeMismatch` for the first partition that differs.
    func verify(_ configuration: PipelineConfiguration) throws(PipelineError) {
        let partitioner = RegionPartitioner(table: configuration.partitionTable, partitionCount: starts.count)
        var simulator = Simulator(settings: configuration.simulatorSettings)
        var replayed = starts.indices.map { BlockDigests(start: starts[$0], end: ends[$0]) }
        var next = [Int64](repeating: 0, count: starts.count)
        var unfinished = ends.indices.filter { ends[$0] > .zero }.count
        var tick = 0
        while unfinished > 0 && tick < configuration.ticks {
            for event in simulator.step() {
                let (key, partition) = partitioner.route(event)
                let offset = next[partition]
                guard offset < ends[partition].rawValue else { continue }
                next[partition] += 1
                if offset >= starts[partition].rawValue {
                    let value = event.json()
                    replayed[partition].add(offset: Offset(offset), key: key[...], value: value[...])
                }
                if offset + 1 == ends[partition].rawValue { unfinished -= 1 }
            }
            tick += 1
        }
        for partition in starts.indices {
            let expected = replayed[partition].finished
            let produced = Offset(next[partition])
            let firstDifferent = zip(expected, digests[partition]).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            guard firstDifferent == nil, produced == ends[partition], expected.count == digests[partition].count else {
                let block = Int64(firstDifferent ?? expected.count) + starts[partition].rawValue / Self.blockRecords
                throw .resumeMismatch(
                    topic: configuration.topic, partition: PartitionID(partition),
                    from: Offset(max(block * Self.blockRecords, starts[partition].rawValue)),
                    runProduces: produced < ends[partition] ? produced : nil, logEnd: ends[partition]
                )
            }
        }
    }

    /// Counts each partition's events during the replay: an event is stored when its
    /// partition has had fewer events than its log end so far.
    struct Cursor {
        private var remaining: [Int64]

        init(_ point: ResumePoint) { remaining = point.ends.map(\.rawValue) }

        /// Whether the next event of `partition` is already in the log (and counts it).
        mutating func isStored(partition: Int) -> Bool {
            guard remaining[partition] > 0 else { return false }
            remaining[partition] -= 1
            return true
        }
    }
}

/// Digests of one partition's records in blocks of `ResumePoint.blockRecords`, fed in offset
/// order from `start`.
private struct BlockDigests {
    private let start: Int64
    private var blocks: [UInt64] = []
    private var current = RecordDigest()
    private var currentBlock: Int64 = -1

    init(start: Offset, end: Offset) {
        self.start = start.rawValue
        let count = end.rawValue > start.rawValue ? (end.rawValue - 1) / ResumePoint.blockRecords - start.rawValue / ResumePoint.blockRecords + 1 : 0
        blocks.reserveCapacity(Int(count))
    }

    mutating func add(offset: Offset, key: ArraySlice<UInt8>?, value: ArraySlice<UInt8>?) {
        let block = offset.rawValue / ResumePoint.blockRecords
        if block != currentBlock {
            if currentBlock >= 0 { blocks.append(current.value) }
            // A skipped block (offsets missing from the reads) keeps its place as a zero digest.
            while currentBlock >= 0 && Int64(blocks.count) < block - start / ResumePoint.blockRecords { blocks.append(0) }
            currentBlock = block
            current = RecordDigest()
        }
        current.add(offset: offset.rawValue, key: key, value: value)
    }

    var finished: [UInt64] { currentBlock >= 0 ? blocks + [current.value] : blocks }
}

/// FNV-1a, 64 bits, over each record's offset, key and value (with their lengths, so the
/// boundaries count): cheap, stable across processes and builds, and enough to tell a
/// different event from the one expected.
private struct RecordDigest {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func add(offset: Int64, key: ArraySlice<UInt8>?, value bytes: ArraySlice<UInt8>?) {
        mix(UInt64(bitPattern: offset))
        for part in [key, bytes] {
            guard let part else {
                mix(UInt64.max)
                continue
            }
            mix(UInt64(part.count))
            for byte in part { value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        }
    }

    private mutating func mix(_ word: UInt64) {
        for shift in stride(from: 0, to: 64, by: 8) { value = (value ^ ((word >> UInt64(shift)) & 0xff)) &* 0x0000_0100_0000_01b3 }
    }
}
