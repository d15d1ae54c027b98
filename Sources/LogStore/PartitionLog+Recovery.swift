import KafkaWire
import Logging

/// What opening a partition log found and did.
public struct RecoveryReport: Hashable, Sendable {
    /// Whether the log had been closed cleanly (no scan was needed).
    public var cleanShutdown: Bool
    public var segments: Int
    /// Bytes whose CRCs were checked.
    public var scannedBytes: Int
    /// Bytes cut from the end of the active segment (a torn or corrupt tail).
    public var truncatedBytes: Int
    /// Segments whose index files were missing or damaged and were rebuilt from the log.
    public var rebuiltIndexes: Int
    /// Why the tail was cut, when it was.
    public var problem: String?
}

extension PartitionLog {
    /// Opens every segment in `directory`: loads or rebuilds indexes, and after an unclean
    /// shutdown validates the active segment and truncates a bad tail.
    static func openSegments(
        directory: String, configuration: LogConfiguration, logger: Logger
    ) throws(LogError) -> (segments: [Segment], report: RecoveryReport) {
        let names = try FileSystem.list(directory)
        let clean = names.contains(cleanShutdownMarker)
        for name in names where name.hasSuffix(".tmp") { try FileSystem.remove(directory + "/" + name) }
        let bases = names.compactMap(Segment.baseOffset(fromLogFileName:)).sorted()
        var report = RecoveryReport(cleanShutdown: clean, segments: max(1, bases.count), scannedBytes: 0, truncatedBytes: 0, rebuiltIndexes: 0)
        var segments: [Segment] = []
        for (index, base) in bases.enumerated() {
            let segment = try Segment(
                directory: directory, baseOffset: base, indexIntervalBytes: configuration.indexIntervalBytes, create: false
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
                    try segment.truncate(to: scan.validSize)
                    report.truncatedBytes += size - scan.validSize
                    report.problem = "\(segment.logPath): \(problem)"
                    logger.warning(
                        "recovery truncated the log tail",
                        metadata: ["file": "\(segment.logPath)", "cut_bytes": "\(size - scan.validSize)", "reason": "\(problem)"]
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
            segments.append(
                try Segment(directory: directory, baseOffset: .zero, indexIntervalBytes: configuration.indexIntervalBytes, create: true)
            )
        }
        return (segments, report)
    }
}
