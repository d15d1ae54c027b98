import KafkaWire
import Logging

/// What opening a partition log found and did.
public struct RecoveryReport: Hashable, Sendable {
    /// Whether the log had been closed cleanly (no scan was needed).
    public var cleanShutdown: Bool
    public var segments: Int
    /// Bytes whose CRCs were checked.
    public var scannedBytes: Int
    /// Bytes cut from the end of the active segment (a torn or corrupt tail); for a log
    /// opened read-only, the bytes left out of the log in memory, the file unchanged.
    public var truncatedBytes: Int
    /// Records in the batches cut (counted from the headers that could still be read).
    public var truncatedRecords: Int = 0
    /// Segments whose index files were missing or damaged and were rebuilt from the log.
    public var rebuiltIndexes: Int
    /// Why the tail was cut, when it was.
    public var problem: String?
}

/// The byte position in the active segment below which everything was synced at the last
/// timed or counted flush (as Kafka's recovery-point checkpoint), so damage below it after an
/// unclean shutdown is corruption, not a tail a crash tore. `recovery-point` in the partition
/// directory, a `ChecksummedFile` of magic `RSRP` holding the segment's base offset and the
/// position, big-endian Int64s. Written by `.interval` flushes only: an `.everyAppend` log
/// syncs every batch, and the whole tail of a `.never` log may be torn.
struct RecoveryPoint: Hashable {
    static let fileName = "recovery-point"
    static let magic = "RSRP"

    var segmentBase: Offset
    var position: Int

    func write(directory: String) throws(LogError) {
        var writer = ByteWriter(capacity: 16)
        writer.write(segmentBase.rawValue)
        writer.write(Int64(position))
        try ChecksummedFile.write(writer.take(), magic: Self.magic, to: directory + "/" + Self.fileName)
    }

    /// The stored point, or nil when there is none or it is damaged (then nothing below the
    /// tail is known to be synced, and a damaged tail is cut as torn).
    static func read(directory: String) -> RecoveryPoint? {
        guard let payload = try? ChecksummedFile.read(directory + "/" + fileName, magic: magic), payload.count == 16 else { return nil }
        let words = stride(from: 0, to: 16, by: 8).map { start in payload[start ..< start + 8].reduce(Int64(0)) { $0 << 8 | Int64($1) } }
        return RecoveryPoint(segmentBase: Offset(words[0]), position: Int(words[1]))
    }
}

extension PartitionLog {
    /// Opens every segment in `directory`: loads or rebuilds indexes, and after an unclean
    /// shutdown validates the active segment and truncates a torn tail.
    ///
    /// A bad batch is a torn tail, and cut, only when it lies above the recovery point and no
    /// whole batch follows it; otherwise it is corruption, reported as `corruptSegment` with
    /// the file, the byte and the offset, and nothing is cut. Read-only, nothing is written:
    /// a torn tail is left out in memory and reported, the files stay as they are.
    static func openSegments(
        directory: String, configuration: LogConfiguration, readOnly: Bool, logger: Logger
    ) throws(LogError) -> (segments: [Segment], report: RecoveryReport) {
        let names = try FileSystem.list(directory)
        let clean = names.contains(cleanShutdownMarker)
        if !readOnly {
            for name in names where name.hasSuffix(".tmp") { try FileSystem.remove(directory + "/" + name) }
        }
        let bases = names.compactMap(Segment.baseOffset(fromLogFileName:)).sorted()
        var report = RecoveryReport(cleanShutdown: clean, segments: max(1, bases.count), scannedBytes: 0, truncatedBytes: 0, rebuiltIndexes: 0)
        var segments: [Segment] = []
        for (index, base) in bases.enumerated() {
            let segment = try Segment(
                directory: directory, baseOffset: base, indexIntervalBytes: configuration.indexIntervalBytes, create: false, readOnly: readOnly
            )
            let isActive = index == bases.count - 1
            // The active segment is scanned after an unclean shutdown, and also when its
            // indexes do not match it despite the marker (the marker may have outlived a crash).
            var needsScan = false
            if isActive {
                needsScan = !clean
                if clean { needsScan = try !segment.loadIndexes() }
            }
            if needsScan {
                let size = segment.size
                let scan = try segment.rebuild(validateChecksums: true)
                report.scannedBytes += scan.validSize
                report.rebuiltIndexes += 1
                if let problem = scan.problem {
                    let synced = RecoveryPoint.read(directory: directory).flatMap { $0.segmentBase == base ? $0.position : nil } ?? 0
                    let followed = try segment.validBatchFollows(damageAt: scan.validSize)
                    let damagedInside = scan.validSize < synced || followed
                    if damagedInside {
                        throw LogError(
                            .corruptSegment,
                            "batch at byte \(scan.validSize) (offset \(segment.nextOffset)) is damaged (\(problem.message)) "
                                + (scan.validSize < synced ? "below the last synced position \(synced)" : "and whole batches follow it")
                                + ": this is not a tail torn by a crash, so nothing was cut. Move the partition directory aside or restore it",
                            path: segment.logPath
                        )
                    }
                    report.truncatedRecords += try segment.recordsInHeaders(from: scan.validSize)
                    if !readOnly { try segment.truncate(to: scan.validSize) }
                    report.truncatedBytes += size - scan.validSize
                    report.problem = "\(segment.logPath): \(problem)"
                    logger.warning(
                        readOnly ? "the log has a torn tail (left as it is: opened read-only)" : "recovery truncated the log tail",
                        metadata: [
                            "file": "\(segment.logPath)", "cut_bytes": "\(size - scan.validSize)",
                            "cut_records": "\(report.truncatedRecords)", "reason": "\(problem)",
                        ]
                    )
                }
            } else if !isActive, try !segment.loadIndexes() {
                report.rebuiltIndexes += 1
                let scan = try segment.rebuild(validateChecksums: true)
                if let problem = scan.problem {
                    throw LogError(
                        .corruptSegment,
                        "sealed segment is damaged (\(problem)); it is kept as it is: move the partition directory aside or restore it",
                        path: segment.logPath
                    )
                }
            }
            if let previous = segments.last, previous.nextOffset != segment.baseOffset {
                throw LogError(
                    .corruptSegment,
                    "segment starts at offset \(segment.baseOffset) but the previous one ends at \(previous.nextOffset)",
                    path: segment.logPath
                )
            }
            if !isActive { try segment.unloadIndexes() }
            segments.append(segment)
        }
        if segments.isEmpty {
            guard !readOnly else { throw LogError(.readOnly, "no segment to read (opened read-only)", path: directory) }
            segments.append(
                try Segment(directory: directory, baseOffset: .zero, indexIntervalBytes: configuration.indexIntervalBytes, create: true)
            )
        }
        return (segments, report)
    }
}
