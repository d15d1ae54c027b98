import KafkaWire
import LogStore
import Logging

/// What one maintenance pass did.
public struct MaintenanceReport: Hashable, Sendable {
    /// Logs synced because their `flush: interval` time ran out.
    public var flushedLogs = 0
    /// Active segments rolled because they were older than `segment.ms`.
    public var rolledSegments = 0
    /// Segments deleted by retention (time or size), and their bytes.
    public var deletedSegments = 0
    public var deletedBytes = 0
    /// What failed, per partition; the other partitions were still maintained.
    public var failures: [BrokerError] = []

    public init() {}
}

extension Broker {
    /// One pass of the broker's periodic work at the injected clock's current time:
    /// - the timed flush: every log whose `FlushPolicy.interval` time has run out is synced
    ///   (appends flush on their own when they notice; this covers logs nobody appends to);
    /// - with `retention`: active segments older than `segment.ms` are rolled, then every
    ///   partition's sealed segments that retention no longer covers (time or size) are deleted,
    ///   moving its log start offset.
    ///
    /// Failures are collected per partition, never thrown: one bad disk must not stop the rest.
    /// A `MaintenanceSchedule` says when to call this; tests on a manual clock call it directly.
    public func maintain(retention: Bool) -> MaintenanceReport {
        var report = MaintenanceReport()
        for topic in lock.withLock({ Array(topics.values) }).sorted(by: { $0.name < $1.name }) {
            for partition in topic.partitions {
                do {
                    if try partition.log.flushIfDue() { report.flushedLogs += 1 }
                    guard retention else { continue }
                    if try partition.log.rollIfAged() { report.rolledSegments += 1 }
                    let result = try partition.log.enforceRetention()
                    report.deletedSegments += result.deletedSegments
                    report.deletedBytes += result.deletedBytes
                } catch where error.kind == .closed {
                    continue  // a topic deleted meanwhile
                } catch {
                    report.failures.append(BrokerError(error, topicPartition: partition.id))
                }
            }
        }
        do {
            if try offsets.flushIfDue() { report.flushedLogs += 1 }
        } catch {
            report.failures.append(error)
        }
        if report.deletedSegments > 0 || report.rolledSegments > 0 {
            logger.info("retention", metadata: [
                "deleted_segments": "\(report.deletedSegments)", "deleted_bytes": "\(report.deletedBytes)",
                "rolled_segments": "\(report.rolledSegments)",
            ])
        }
        for failure in report.failures {
            logger.error("broker maintenance failed", metadata: ["error": "\(failure)"])
        }
        return report
    }

    /// The earliest time (clock milliseconds) a log's timed flush falls due; nil when no log
    /// has records waiting under a `FlushPolicy.interval` with a time limit.
    public var nextFlushDeadline: Int64? {
        let logs = lock.withLock { topics.values.flatMap(\.partitions) }.map(\.log)
        return (logs.compactMap(\.flushDeadline) + [offsets.flushDeadline].compactMap { $0 }).min()
    }

    /// The schedule of `maintain(retention:)` for this broker's settings, starting at `now`.
    public func maintenanceSchedule(startingAt now: Int64) -> MaintenanceSchedule {
        var flushCheck: Int64?
        if case let .interval(_, milliseconds?) = configuration.log.flush { flushCheck = milliseconds }
        return MaintenanceSchedule(start: now, retentionCheckMs: configuration.retentionCheckIntervalMs, flushIntervalMs: flushCheck)
    }
}

/// When the broker's periodic work runs, as a value: given the time, it says whether a
/// retention pass is due and when to wake next. Nothing here sleeps or reads a clock.
///
/// - Retention (with roll by age) runs every `retentionCheckMs` (Kafka's
///   `log.retention.check.interval.ms`, 5 minutes), the first pass one interval after start.
/// - The timed flush runs at each log's own deadline (`Broker.nextFlushDeadline`), and at least
///   every quarter of the flush interval, so a log that got its first unsynced record after a
///   pass is synced within a quarter interval of its deadline.
public struct MaintenanceSchedule: Hashable, Sendable {
    public let retentionCheckMs: Int64
    /// How often to look for due flushes; nil when no log flushes by time.
    public let flushCheckMs: Int64?
    public private(set) var nextRetention: Int64

    public init(start: Int64, retentionCheckMs: Int64, flushIntervalMs: Int64?) {
        self.retentionCheckMs = max(1, retentionCheckMs)
        flushCheckMs = flushIntervalMs.map { min(1000, max(10, $0 / 4)) }
        nextRetention = start + self.retentionCheckMs
    }

    /// Whether a retention pass is due at `now`; when it is, the next one is scheduled an
    /// interval later.
    public mutating func retentionDue(at now: Int64) -> Bool {
        guard now >= nextRetention else { return false }
        nextRetention = now + retentionCheckMs
        return true
    }

    /// When to run the next pass: the next retention check, the next flush check, or a log's
    /// flush deadline, whichever comes first (never before `now`).
    public func nextWake(after now: Int64, flushDeadline: Int64?) -> Int64 {
        var wake = nextRetention
        if let flushCheckMs { wake = min(wake, now + flushCheckMs) }
        if let flushDeadline { wake = min(wake, flushDeadline) }
        return max(now, wake)
    }
}
