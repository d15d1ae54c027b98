import CPUTime
import Foundation
import KafkaWire
import Groups
import RideModel
import SQLite

/// A group database's connection, its processor and its prepared statements: what
/// `SinkWriter` runs on its thread. Opening checks the file: a new file gets the schema (WAL
/// journal, `synchronous=NORMAL`); an existing one must carry RideStream's application id and
/// this build's schema version (`SinkSchema`), or opening fails without touching it.
///
/// Not thread-safe: used only on its writer's thread (the `@unchecked Sendable` lets the
/// writer receive it from the `perform` that opened it there).
final class SinkConnection: @unchecked Sendable {
    let group: GroupName
    let path: String
    let topic: String
    let database: Database
    private let processor: any EventProcessor
    private let readOffset: Statement
    private let readAllOffsets: Statement
    private let writeOffset: Statement
    private let logBatch: Statement
    private let logRebalance: Statement
    private let logAssignment: Statement
    private let readAssignment: Statement
    private let readPreviousTime: Statement
    private let logGap: Statement
    private let logMemberRound: Statement
    /// Where each batch transaction's CPU time is charged, if anywhere.
    private let stages: StageTimes?
    /// `PRAGMA data_version`: changes when another connection has committed to the file.
    private let readDataVersion: Statement
    /// Its value in the last batch transaction (nil before the first).
    private var dataVersion: Int64?

    /// - Parameters:
    ///   - tuned: WAL journal and `synchronous=NORMAL` (the pipeline's setting); false keeps
    ///     SQLite's defaults (rollback journal, `synchronous=FULL`), as a naive application
    ///     would, for the benchmark's baseline.
    ///   - stages: where a batch's CPU time goes: the processor's call is split between
    ///     `Stage.sqlite` and `Stage.processing` by the wall time its statements took
    ///     (`Database.timesStatements`); the rest of the transaction is `Stage.commit`.
    init(group: GroupName, path: String, topic: String, tariff: Tariff, tuned: Bool, stages: StageTimes? = nil) throws(SinkError) {
        self.group = group
        self.path = path
        self.topic = topic
        self.stages = stages
        do {
            database = try Database(path: path)
            database.timesStatements = stages != nil
            try Self.prepareSchema(database, group: group, tuned: tuned)
            processor = try group.processorType.init(database: database, tariff: tariff)
            readDataVersion = try database.prepare("PRAGMA data_version")
            readOffset = try database.prepare(#"SELECT next_offset FROM consumer_offsets WHERE topic = ?1 AND "partition" = ?2"#)
            readAllOffsets = try database.prepare(#"SELECT "partition", next_offset FROM consumer_offsets WHERE topic = ?1"#)
            writeOffset = try database.prepare(
                #"INSERT INTO consumer_offsets (topic, "partition", next_offset) VALUES (?1, ?2, ?3) ON CONFLICT (topic, "partition") DO UPDATE SET next_offset = excluded.next_offset"#
            )
            logBatch = try database.prepare(
                #"INSERT INTO batches (consumer, "partition", first_offset, last_offset, events, rows, committed_at, last_event_ms, produced_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"#
            )
            logRebalance = try database.prepare(
                "INSERT OR IGNORE INTO rebalances (generation, members, assignment, recorded_at, simulated_ms, run_second, cause, story) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
            )
            logAssignment = try database.prepare(
                #"INSERT INTO rebalance_assignments (generation, consumer, "partition", previous_consumer) VALUES (?1, ?2, ?3, ?4)"#
            )
            // The latest generation recorded before ?1, as rows; none when it has no rows (a
            // generation recorded by a version-2 file).
            readAssignment = try database.prepare(
                #"SELECT consumer, "partition" FROM rebalance_assignments WHERE generation = (SELECT max(generation) FROM rebalances WHERE generation < ?1)"#
            )
            readPreviousTime = try database.prepare(
                "SELECT simulated_ms FROM rebalances WHERE generation = (SELECT max(generation) FROM rebalances WHERE generation < ?1)"
            )
            logGap = try database.prepare(
                #"INSERT INTO log_gaps (topic, "partition", from_offset, to_offset, consumer, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"#
            )
            logMemberRound = try database.prepare(
                "INSERT INTO member_rebalances (generation, consumer, protocol, revoked, assigned, owned, revoked_partitions, assigned_partitions, owned_partitions, run_second, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
            )
        } catch let error as SinkError {
            throw error
        } catch let error as SQLiteError {
            throw .sqlite(group: group, error)
        } catch {
            throw .sqlite(group: group, SQLiteError(code: 0, message: "\(error)", path: path))
        }
    }

    /// Creates the schema in a new file, or refuses a file that is not this group's database
    /// of this schema version, all under the write lock: another process (a `consume` of the
    /// same group) may be opening the same file.
    private static func prepareSchema(_ database: Database, group: GroupName, tuned: Bool) throws -> Void {
        let path = database.path
        let (applicationID, version) = try database.transaction { () throws -> (Int64, Int64) in
            let applicationID = try database.scalar("PRAGMA application_id") ?? 0
            let version = try database.userVersion
            let tables = try database.scalar("SELECT count(*) FROM sqlite_master WHERE type = 'table'") ?? 0
            if tables == 0 && version == 0 && applicationID == 0 {
                try database.execute(SinkSchema.common)
                try database.execute(group.processorType.schema)
                try database.execute("PRAGMA application_id = \(SinkSchema.applicationID)")
                try database.setUserVersion(SinkSchema.version)
                return (SinkSchema.applicationID, SinkSchema.version)
            }
            guard applicationID == SinkSchema.applicationID, version == SinkSchema.version else { return (applicationID, version) }
            // A file resumed into is checked whole first (`integrity_check`: every page, and
            // every index against its table), so rows are never added to a damaged database.
            let check = try database.prepare("PRAGMA integrity_check")
            var findings: [String] = []
            while try check.step(), findings.count < 5 { findings.append(check.string(0) ?? "") }
            guard findings == ["ok"] else { throw SinkError.damaged(group: group, path: path, findings: findings) }
            return (applicationID, version)
        }
        guard applicationID == SinkSchema.applicationID else {
            throw SinkError.foreignDatabase(group: group, path: path, applicationID: applicationID)
        }
        guard version == SinkSchema.version else {
            throw SinkError.schemaVersion(group: group, path: path, found: version, expected: SinkSchema.version)
        }
        if tuned { try database.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -16384;") }
    }

    private func failure(_ error: any Error) -> SinkError {
        if let error = error as? SinkError { return error }
        if let error = error as? SQLiteError { return .sqlite(group: group, error) }
        return .sqlite(group: group, SQLiteError(code: 0, message: "\(error)", path: path))
    }

    // MARK: - Offsets

    /// The stored next offset of one partition (nil when never written).
    func storedOffset(_ partition: PartitionID) throws(SQLiteError) -> Offset? {
        defer { readOffset.reset() }
        readOffset.bind(1, topic)
        readOffset.bind(2, Int64(partition.rawValue))
        return try readOffset.step() ? Offset(readOffset.int(0)) : nil
    }

    /// Every stored next offset of the topic.
    func allStoredOffsets() throws(SinkError) -> [PartitionID: Offset] {
        defer { readAllOffsets.reset() }
        var result: [PartitionID: Offset] = [:]
        do {
            readAllOffsets.bind(1, topic)
            while try readAllOffsets.step() { result[PartitionID(Int32(readAllOffsets.int(0)))] = Offset(readAllOffsets.int(1)) }
        } catch {
            throw .sqlite(group: group, error)
        }
        return result
    }

    private func store(_ partition: PartitionID, next: Offset) throws(SQLiteError) {
        writeOffset.bind(1, topic)
        writeOffset.bind(2, Int64(partition.rawValue))
        writeOffset.bind(3, next.rawValue)
        try writeOffset.run()
    }

    // MARK: - Transactions

    /// Writes one partition's events and its new next offset in one transaction, unless the
    /// stored offset is not `firstOffset` (checked inside the write-locked transaction, so it
    /// holds against consumers of the group in other processes too). A partition never stored
    /// counts as stored up to 0: a first batch that starts later skipped events (they are
    /// recorded as a gap instead, `recordGap`).
    func write(
        consumer: String, partition: PartitionID, firstOffset: Offset, nextOffset: Offset, events: ArraySlice<PositionedEvent>, producedMs: Int64? = nil
    ) throws(SinkError) -> SinkWriteOutcome {
        let started = stages?.start()
        var processed: UInt64 = 0
        defer { if let started, let stages { stages.add(.commit, nanoseconds: (CPUClock.thread() &- started) &- processed) } }
        do {
            return try database.transaction { () throws -> SinkWriteOutcome in
                try noteOtherWriters()
                let stored = try storedOffset(partition) ?? .zero
                if stored != firstOffset { return .stale(storedOffset: stored) }
                let rows = try process(events, cpu: &processed)
                try store(partition, next: nextOffset)
                logBatch.bind(1, consumer)
                logBatch.bind(2, Int64(partition.rawValue))
                logBatch.bind(3, firstOffset.rawValue)
                logBatch.bind(4, nextOffset.rawValue - 1)
                logBatch.bind(5, events.count)
                logBatch.bind(6, rows)
                logBatch.bind(7, Self.now())
                logBatch.bind(8, events.last?.event.ts)
                logBatch.bind(9, producedMs)
                try logBatch.run()
                return .stored(rows: rows)
            }
        } catch {
            processor.forgetFileState()
            throw failure(error)
        }
    }

    /// Inside a batch's transaction (the write lock held): tells the processor to forget what
    /// it kept of the file when another connection (a `consume` of the group in another
    /// process, a `sqlite3` shell) has committed since this connection's previous batch.
    private func noteOtherWriters() throws(SQLiteError) {
        defer { readDataVersion.reset() }
        let version = try readDataVersion.step() ? readDataVersion.int(0) : nil
        if version != dataVersion { processor.forgetFileState() }
        dataVersion = version
    }

    /// The processor's work on a batch, its CPU time charged to `Stage.sqlite` and
    /// `Stage.processing` in proportion to the wall time spent in statements; `cpu` is set
    /// to the whole.
    private func process(_ events: ArraySlice<PositionedEvent>, cpu: inout UInt64) throws(SQLiteError) -> Int {
        guard let stages else { return try processor.process(events) }
        let (cpuStart, wallStart, inStatements) = (CPUClock.thread(), CPUClock.monotonic(), database.statementNanoseconds)
        let rows = try processor.process(events)
        cpu = CPUClock.thread() &- cpuStart
        let wall = max(1, CPUClock.monotonic() &- wallStart)
        let share = min(1, Double(database.statementNanoseconds &- inStatements) / Double(wall))
        let sqlite = UInt64(Double(cpu) * share)
        stages.add(.sqlite, nanoseconds: sqlite)
        stages.add(.processing, nanoseconds: cpu - sqlite)
        return rows
    }

    /// Moves a partition's stored offset from `from` (what it was) to `to` (the log start)
    /// and records the events in between as lost to retention, in one transaction; refused as
    /// stale when the stored offset is no longer `from`.
    func recordGap(consumer: String, partition: PartitionID, from: Offset, to: Offset) throws(SinkError) -> SinkWriteOutcome {
        do {
            return try database.transaction { () throws -> SinkWriteOutcome in
                let stored = try storedOffset(partition) ?? .zero
                if stored != from { return .stale(storedOffset: stored) }
                try store(partition, next: to)
                logGap.bind(1, topic)
                logGap.bind(2, Int64(partition.rawValue))
                logGap.bind(3, from.rawValue)
                logGap.bind(4, to.rawValue)
                logGap.bind(5, consumer)
                logGap.bind(6, Self.now())
                try logGap.run()
                return .stored(rows: 1)
            }
        } catch {
            throw failure(error)
        }
    }

    /// Records a completed rebalance, once per generation (nil when it was recorded before):
    /// its row and its assignment rows in one transaction, told against the latest generation
    /// recorded before it.
    func recordRebalance(generation: Int32, assignment labels: [String: [Int]], context: RebalanceContext) throws(SinkError) -> RebalanceRecord? {
        do {
            return try database.transaction { () throws -> RebalanceRecord? in
                let previous = try previousAssignment(before: generation)
                let record = RebalanceRecord.make(
                    generation: generation, previous: previous, previousMs: try previousTime(before: generation), assignment: labels, context: context
                )
                let assignment = record.assignment
                logRebalance.bind(1, Int64(generation))
                logRebalance.bind(2, assignment.keys.sorted().joined(separator: ", "))
                logRebalance.bind(3, assignment.keys.sorted().map { "\($0)=\(assignment[$0]!.map(String.init).joined(separator: ","))" }.joined(separator: "; "))
                logRebalance.bind(4, Self.now())
                logRebalance.bind(5, record.simulatedMs)
                if let second = record.runSecond { logRebalance.bind(6, second) } else { logRebalance.bindNull(6) }
                logRebalance.bind(7, record.causes.map(\.rawValue).joined(separator: ", "))
                logRebalance.bind(8, record.story)
                try logRebalance.run()
                guard database.changes > 0 else { return nil }
                var before: [Int: String] = [:]
                for (member, partitions) in previous ?? [:] { for partition in partitions { before[partition] = member } }
                for member in assignment.keys.sorted() {
                    let partitions = assignment[member]!
                    for partition in partitions.isEmpty ? [nil] : partitions.map(Optional.some) {
                        logAssignment.bind(1, Int64(generation))
                        logAssignment.bind(2, member)
                        logAssignment.bind(3, partition.map(Int64.init))
                        logAssignment.bind(4, partition.flatMap { before[$0] })
                        try logAssignment.run()
                    }
                }
                return record
            }
        } catch {
            throw failure(error)
        }
    }

    /// Records one member's rebalance round (`MemberRound`), in a transaction of its own.
    func recordMemberRound(_ round: MemberRound, consumer: String, protocol rebalanceProtocol: RebalanceProtocol, runSecond: Double?) throws(SinkError) {
        do {
            try database.transaction { () throws in
                if let generation = round.generation { logMemberRound.bind(1, Int64(generation)) } else { logMemberRound.bindNull(1) }
                logMemberRound.bind(2, consumer)
                logMemberRound.bind(3, rebalanceProtocol.rawValue)
                logMemberRound.bind(4, Int64(round.revoked.count))
                logMemberRound.bind(5, Int64(round.assigned.count))
                logMemberRound.bind(6, Int64(round.owned.count))
                logMemberRound.bind(7, MemberRound.text(round.revoked))
                logMemberRound.bind(8, MemberRound.text(round.assigned))
                logMemberRound.bind(9, MemberRound.text(round.owned))
                if let runSecond { logMemberRound.bind(10, runSecond) } else { logMemberRound.bindNull(10) }
                logMemberRound.bind(11, Self.now())
                try logMemberRound.run()
            }
        } catch {
            throw failure(error)
        }
    }

    /// The simulated time of the latest generation recorded before `generation`, if known.
    private func previousTime(before generation: Int32) throws(SQLiteError) -> Int64? {
        defer { readPreviousTime.reset() }
        readPreviousTime.bind(1, Int64(generation))
        return try readPreviousTime.step() && !readPreviousTime.isNull(0) ? readPreviousTime.int(0) : nil
    }

    /// The latest recorded generation's assignment before `generation`, by member (idle
    /// members with no partitions); nil when none is recorded as rows.
    private func previousAssignment(before generation: Int32) throws(SQLiteError) -> [String: [Int]]? {
        defer { readAssignment.reset() }
        readAssignment.bind(1, Int64(generation))
        var result: [String: [Int]] = [:]
        while try readAssignment.step() {
            let member = readAssignment.string(0) ?? ""
            result[member, default: []] += readAssignment.isNull(1) ? [] : [Int(readAssignment.int(1))]
        }
        return result.isEmpty ? nil : result
    }

    /// Every recorded rebalance, by generation.
    func rebalances() throws(SinkError) -> [RecordedRebalance] {
        do { return try RecordedRebalance.all(in: database) } catch { throw .sqlite(group: group, error) }
    }

    /// Every recorded gap, oldest first.
    func gaps() throws(SinkError) -> [LogGap] {
        do {
            let statement = try database.prepare(#"SELECT "partition", from_offset, to_offset, consumer FROM log_gaps WHERE topic = ?1 ORDER BY id"#)
            statement.bind(1, topic)
            var result: [LogGap] = []
            while try statement.step() {
                result.append(LogGap(partition: Int(statement.int(0)), from: statement.int(1), to: statement.int(2), consumer: statement.string(3) ?? ""))
            }
            return result
        } catch {
            throw .sqlite(group: group, error)
        }
    }

    private static func now() -> String { Timestamp.iso(Int64(Date().timeIntervalSince1970 * 1000)) }
}
