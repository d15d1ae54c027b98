import SQLite
import TestSupport
import Testing

@Suite struct StatementJournalTests {
    static let schema = """
        CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score REAL, note TEXT, blank TEXT);
        CREATE TABLE totals (name TEXT PRIMARY KEY, n INTEGER NOT NULL);
        """

    /// Every row of both tables, as text, in order.
    func dump(_ database: Database) throws -> [String] {
        var rows: [String] = []
        let t = try database.prepare("SELECT id, name, score, quote(note), quote(blank) FROM t ORDER BY id")
        while try t.step() {
            rows.append("\(t.int(0)) \(t.string(1) ?? "NULL") \(t.double(2)) \(t.string(3) ?? "") \(t.string(4) ?? "")")
        }
        let totals = try database.prepare("SELECT name, n FROM totals ORDER BY name")
        while try totals.step() { rows.append("\(totals.string(0) ?? "") \(totals.int(1))") }
        return rows
    }

    /// Writes through every kind of call a sink makes: transactions, each bind type, empty
    /// and non-ASCII texts, NULLs, a lookup stepped once and reset, an upsert.
    func work(_ database: Database) throws {
        let insert = try database.prepare("INSERT INTO t (name, score, note, blank) VALUES (?1, ?2, ?3, ?4)")
        let lookup = try database.prepare("SELECT n FROM totals WHERE name = ?1")
        let upsert = try database.prepare("INSERT INTO totals VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET n = n + excluded.n")
        for batch in 0 ..< 3 {
            try database.transaction {
                for index in 0 ..< 50 {
                    let name = "drïver-\(index % 7)"
                    insert.bind(1, name)
                    insert.bind(2, Double(batch * 50 + index) / 8)
                    insert.bind(3, index % 3 == 0 ? nil : "n\(index)" as String?)
                    insert.bind(4, "")
                    try insert.run()
                    lookup.bind(1, name)
                    let known = try lookup.step()
                    lookup.reset()
                    upsert.bind(1, name)
                    upsert.bind(2, known ? Int64(1) : Int64(100))
                    try upsert.run()
                }
            }
        }
    }

    /// Creates `recorded.sqlite` in `dir` and does `work` on it with a journal recording.
    private func recordWork(in dir: TemporaryDirectory) throws -> (Database, StatementJournal) {
        let recorded = try Database(path: dir.file("recorded.sqlite"))
        try recorded.execute(Self.schema)
        let journal = StatementJournal()
        recorded.journal = journal
        journal.isRecording = true
        try work(recorded)
        return (recorded, journal)
    }

    @Test func aReplayDoesTheRecordedWorkAgainOnAnotherFile() throws {
        let dir = TemporaryDirectory("journal")
        defer { dir.remove() }
        let (recorded, journal) = try recordWork(in: dir)
        journal.isRecording = false
        try recorded.execute("INSERT INTO totals VALUES ('not recorded', 1)")

        let replayed = try Database(path: dir.file("replayed.sqlite"))
        try replayed.execute(Self.schema)
        try journal.replay(on: replayed)
        var expected = try dump(recorded)
        expected.removeAll { $0.hasPrefix("not recorded") }
        #expect(expected.count == 150 + 7)
        #expect(try dump(replayed) == expected)
        // 150 inserts of 4 binds and a run, 150 lookups (bind, step, reset), 150 upserts of
        // 2 binds and a run, 3 × BEGIN and COMMIT.
        #expect(journal.calls == 150 * 5 + 150 * 3 + 150 * 3 + 6)
        #expect(journal.byteCount > 150 * 11 * 8)
    }

    @Test func aReplayOntoAFileWithoutTheSchemaFailsNamingIt() throws {
        let dir = TemporaryDirectory("journal")
        defer { dir.remove() }
        let (_, journal) = try recordWork(in: dir)
        let empty = try Database(path: dir.file("empty.sqlite"))
        let error = #expect(throws: SQLiteError.self) { try journal.replay(on: empty) }
        #expect(error?.description.contains("no such table") == true)
        #expect(error?.description.contains("empty.sqlite") == true)
    }

    @Test func statementTimeIsCountedOnlyWhenAsked() throws {
        let dir = TemporaryDirectory("journal")
        defer { dir.remove() }
        let database = try Database(path: dir.file("timed.sqlite"))
        try database.execute(Self.schema)
        try work(database)
        #expect(database.statementNanoseconds == 0)
        database.timesStatements = true
        try work(database)
        #expect(database.statementNanoseconds > 0)
    }
}
