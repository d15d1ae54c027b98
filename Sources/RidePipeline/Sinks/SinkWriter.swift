import Foundation
import RideModel
import SQLite

/// The one owner of a group's SQLite file in this process. Every consumer of the group hands
/// its batches here; each batch and the offsets it consumed are committed in one transaction,
/// which is what makes the pipeline exactly-once.
///
/// Opening checks the file: a new file gets the schema (WAL journal, `synchronous=NORMAL`);
/// an existing one must carry RideStream's application id and schema version, or opening
/// fails without touching it.
public actor SinkWriter {
    public let group: GroupName
    public let path: String
    public let topic: String
    private let database: Database
    private let processor: any EventProcessor
    private let readOffset: Statement
    private let writeOffset: Statement
    private let logBatch: Statement
    private let logRebalance: Statement
    /// Transactions committed by this writer.
    public private(set) var transactions = 0
    public private(set) var events = 0
    public private(set) var rows = 0

    /// - Parameter tuned: WAL journal and `synchronous=NORMAL` (the pipeline's setting); false
    ///   keeps SQLite's defaults (rollback journal, `synchronous=FULL`), as a naive application
    ///   would, for the benchmark's baseline.
    public init(group: GroupName, path: String, topic: String, tariff: Tariff, tuned: Bool = true) throws(SinkError) {
        self.group = group
        self.path = path
        self.topic = topic
        do {
            database = try Database(path: path)
            try Self.prepareSchema(database, group: group, tuned: tuned)
            processor = try group.processorType.init(database: database, tariff: tariff)
            readOffset = try database.prepare(#"SELECT next_offset FROM consumer_offsets WHERE topic = ?1 AND "partition" = ?2"#)
            writeOffset = try database.prepare(
                #"INSERT INTO consumer_offsets (topic, "partition", next_offset) VALUES (?1, ?2, ?3) ON CONFLICT (topic, "partition") DO UPDATE SET next_offset = excluded.next_offset"#
            )
            logBatch = try database.prepare(
                #"INSERT INTO batches (consumer, "partition", first_offset, last_offset, events, rows, committed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"#
            )
            logRebalance = try database.prepare(
                "INSERT OR IGNORE INTO rebalances (generation, members, assignment, recorded_at) VALUES (?1, ?2, ?3, ?4)"
            )
        } catch {
            throw SinkError.sqlite(error)
        }
    }

    private static func prepareSchema(_ database: Database, group: GroupName, tuned: Bool) throws(SQLiteError) {
        let tuning = tuned ? "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -16384;" : ""
        // Checked and created under the write lock: another process (a `consume` of the same
        // group) may be creating the same new file.
        let applicationID: Int64
        let version: Int64
        do {
            (applicationID, version) = try database.transaction { () throws -> (Int64, Int64) in
                let applicationID = try database.scalar("PRAGMA application_id") ?? 0
                let version = try database.userVersion
                let tables = try database.scalar("SELECT count(*) FROM sqlite_master WHERE type = 'table'") ?? 0
                guard tables == 0 && version == 0 && applicationID == 0 else { return (applicationID, version) }
                try database.execute(SinkSchema.common)
                try database.execute(group.processorType.schema)
                try database.execute("PRAGMA application_id = \(SinkSchema.applicationID)")
                try database.setUserVersion(SinkSchema.version)
                return (SinkSchema.applicationID, SinkSchema.version)
            }
        } catch let error as SQLiteError {
            throw error
        } catch {
            throw SQLiteError(code: 0, message: "\(error)", path: database.path)
        }
        guard applicationID == SinkSchema.applicationID else {
            throw SQLiteError(code: 0, message: "not a RideStream \(group.rawValue) database (application id \(applicationID)); it was left untouched", path: database.path)
        }
        guard version == SinkSchema.version else {
            throw SQLiteError(
                code: 0,
                message: "schema version \(version), this build uses \(SinkSchema.version); move the file aside or run with --fresh. It was left untouched",
                path: database.path
            )
        }
        try database.execute(tuning)
    }

    /// The stored next offsets of `partitions` (absent when never written).
    public func storedOffsets(_ partitions: [Int]) throws(SinkError) -> [Int: Int64] {
        var result: [Int: Int64] = [:]
        do {
            for partition in partitions {
                defer { readOffset.reset() }
                readOffset.bind(1, topic)
                readOffset.bind(2, partition)
                if try readOffset.step() { result[partition] = readOffset.int(0) }
            }
        } catch {
            throw SinkError.sqlite(error)
        }
        return result
    }

    /// Writes one partition's events and its new next offset in one transaction.
    ///
    /// - Parameters:
    ///   - firstOffset: where the consumer began this batch; when the stored offset differs,
    ///     another consumer has written the partition meanwhile and `StaleBatchError` is thrown
    ///     without writing anything.
    ///   - nextOffset: the offset after the batch (what is stored).
    public func write(
        consumer: String, partition: Int, firstOffset: Int64, nextOffset: Int64, events: [PositionedEvent]
    ) throws -> Int {
        // The check is inside the (IMMEDIATE, so write-locked) transaction: consumers of the
        // group in other processes may write the same file.
        let written: Int = try database.transaction {
            let stored = try storedOffsets([partition])[partition]
            if let stored, stored != firstOffset { throw StaleBatchError(partition: partition, storedOffset: stored) }
            let count = try processor.process(events)
            writeOffset.bind(1, topic)
            writeOffset.bind(2, partition)
            writeOffset.bind(3, nextOffset)
            try writeOffset.run()
            logBatch.bind(1, consumer)
            logBatch.bind(2, partition)
            logBatch.bind(3, firstOffset)
            logBatch.bind(4, nextOffset - 1)
            logBatch.bind(5, events.count)
            logBatch.bind(6, count)
            logBatch.bind(7, Timestamp.iso(Int64(Date().timeIntervalSince1970 * 1000)))
            try logBatch.run()
            return count
        }
        transactions += 1
        self.events += events.count
        rows += written
        return written
    }

    /// Records a completed rebalance (once per generation).
    public func recordRebalance(generation: Int32, members: [String], assignment: [String: [Int]]) throws {
        let assignmentText = assignment.keys.sorted().map { "\($0)=\(assignment[$0]!.map(String.init).joined(separator: ","))" }
            .joined(separator: "; ")
        logRebalance.bind(1, Int64(generation))
        logRebalance.bind(2, members.sorted().joined(separator: ", "))
        logRebalance.bind(3, assignmentText)
        logRebalance.bind(4, Timestamp.iso(Int64(Date().timeIntervalSince1970 * 1000)))
        try logRebalance.run()
    }
}
