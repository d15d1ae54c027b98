import SQLite
import TestSupport
import Testing

@Suite struct DatabaseTests {
    @Test func preparedStatementsBindStepAndRead() throws {
        let dir = TemporaryDirectory("sqlite")
        defer { dir.remove() }
        let database = try Database(path: dir.file("t.sqlite"))
        try database.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score REAL, note TEXT)")
        let insert = try database.prepare("INSERT INTO t (name, score, note) VALUES (?1, ?2, ?3)")
        try database.transaction {
            for index in 0 ..< 100 {
                insert.bind(1, "n\(index)")
                insert.bind(2, Double(index) / 2)
                insert.bind(3, index % 2 == 0 ? nil : "odd" as String?)
                try insert.run()
            }
        }
        #expect(try database.scalar("SELECT count(*) FROM t") == 100)
        let query = try database.prepare("SELECT name, score, note FROM t WHERE id = ?1")
        query.bind(1, Int64(2))
        #expect(try query.step())
        #expect(query.string(0) == "n1")
        #expect(query.double(1) == 0.5)
        #expect(query.string(2) == "odd")
    }

    @Test func failedTransactionRollsBack() throws {
        let dir = TemporaryDirectory("sqlite")
        defer { dir.remove() }
        let database = try Database(path: dir.file("t.sqlite"))
        try database.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
        try database.execute("INSERT INTO t VALUES (1)")
        #expect(throws: SQLiteError.self) {
            try database.transaction {
                try database.execute("INSERT INTO t VALUES (2)")
                try database.execute("INSERT INTO t VALUES (1)")  // constraint violation
            }
        }
        #expect(try database.scalar("SELECT count(*) FROM t") == 1)
    }

    @Test func errorsNameTheFile() throws {
        let error = #expect(throws: SQLiteError.self) { try Database(path: "/nonexistent-dir/x.sqlite") }
        #expect(error?.description.contains("/nonexistent-dir/x.sqlite") == true)
        #expect(error?.isStorageFailure == true)
    }
}
