import KafkaWire
import SQLite

/// Why a group's SQLite file could not be opened or written. Each case names the group and
/// the file; the SQLite error underneath is kept as it is.
public enum SinkError: Error, Hashable, Sendable, CustomStringConvertible {
    /// SQLite refused: a full disk, an I/O error, a lock held past the busy timeout, a
    /// constraint.
    case sqlite(group: GroupName, SQLiteError)
    /// The file exists but is not a RideStream database (another application id); it was
    /// left untouched.
    case foreignDatabase(group: GroupName, path: String, applicationID: Int64)
    /// A RideStream database of a schema version this build does not know; left untouched.
    case schemaVersion(group: GroupName, path: String, found: Int64, expected: Int64)
    /// The file fails SQLite's `integrity_check`; it was left untouched.
    case damaged(group: GroupName, path: String, findings: [String])
    /// The writer was closed (the run is ending) before this call.
    case closed(group: GroupName, path: String)

    public var group: GroupName {
        switch self {
        case let .sqlite(group, _), let .foreignDatabase(group, _, _), let .schemaVersion(group, _, _, _), let .damaged(group, _, _),
             let .closed(group, _): group
        }
    }

    public var description: String {
        switch self {
        case let .sqlite(_, error):
            return error.description
        case let .foreignDatabase(group, path, applicationID):
            return "\(path): not a RideStream \(group.rawValue) database (application id \(applicationID)); it was left untouched"
        case let .schemaVersion(_, path, found, expected):
            return "\(path): schema version \(found), this build uses \(expected); move the file aside or run with --fresh. It was left untouched"
        case let .damaged(group, path, findings):
            return "\(path): the \(group.rawValue) database is damaged (integrity_check: \(findings.joined(separator: "; "))); "
                + "it was left untouched: restore it, or run with --fresh to rebuild every database from a new run"
        case let .closed(group, path):
            return "\(path): the \(group.rawValue) writer is closed"
        }
    }
}

/// What `SinkWriter.write` did with a batch.
public enum SinkWriteOutcome: Hashable, Sendable {
    /// Stored, with the rows it inserted or changed.
    case stored(rows: Int)
    /// Refused without writing anything: the partition's stored offset is not where the batch
    /// starts. Another consumer wrote the partition since this one read its position (it lost
    /// the partition in a rebalance); the consumer must carry on from `storedOffset`.
    case stale(storedOffset: Offset)
}

/// A committed transaction, as `SinkWriter` reports it to whoever tracks the group's
/// progress (the run's completion, its progress line).
public struct SinkCommit: Hashable, Sendable {
    public var partition: PartitionID
    /// The partition's stored next offset after the transaction.
    public var nextOffset: Offset
    /// Events the transaction stored (0 for a recorded gap).
    public var events: Int
    /// Simulated time of the last event stored (nil for a recorded gap).
    public var lastEventMs: Int64?

    public init(partition: PartitionID, nextOffset: Offset, events: Int, lastEventMs: Int64? = nil) {
        self.partition = partition
        self.nextOffset = nextOffset
        self.events = events
        self.lastEventMs = lastEventMs
    }
}

/// Events a group can never store: retention deleted them from the log before the group's
/// consumers read them. Recorded in the group's `log_gaps` table.
public struct LogGap: Hashable, Sendable, Codable {
    public var partition: Int
    /// The first offset never stored, and the offset the group carried on from (the log
    /// start at the time): `to - from` events are missing.
    public var from: Int64
    public var to: Int64
    public var consumer: String
}
