import CSQLite

/// One SQLite connection (https://www.sqlite.org/c3ref/sqlite3.html).
///
/// Not thread-safe and not `Sendable`: exactly one owner uses it (in the pipeline, an actor per
/// database file). Statements prepared from it must not outlive it.
public final class Database {
    public let path: String
    let handle: OpaquePointer
    /// Where statements record what they are asked to do, if anywhere (`StatementJournal`).
    public var journal: StatementJournal?
    /// Whether statements add the wall time of each execution to `statementNanoseconds`.
    public var timesStatements = false
    /// The wall time spent in statement executions (binds, steps, resets) while
    /// `timesStatements` was on: how a caller splits a span between SQLite and its own work.
    public internal(set) var statementNanoseconds: UInt64 = 0

    /// Opens (creating when asked) the database at `path`.
    ///
    /// - Parameter immutable: read-only, for a file nobody can be writing (its directory is
    ///   held) and that has no write-ahead log beside it: SQLite then creates no `-wal` or
    ///   `-shm` files and takes no locks, so looking at the file leaves every file as it was.
    public init(path: String, create: Bool = true, readOnly: Bool = false, immutable: Bool = false) throws(SQLiteError) {
        self.path = path
        var pointer: OpaquePointer?
        let flags = readOnly || immutable
            ? SQLITE_OPEN_READONLY
            : SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0)
        let name = immutable ? Self.immutableURI(path) : path
        let code = sqlite3_open_v2(name, &pointer, flags | SQLITE_OPEN_NOMUTEX | (immutable ? SQLITE_OPEN_URI : 0), nil)
        guard code == SQLITE_OK, let pointer else {
            let message = pointer.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close_v2(pointer)
            throw SQLiteError(code: code, message: message, path: path)
        }
        handle = pointer
        sqlite3_extended_result_codes(handle, 1)
        sqlite3_busy_timeout(handle, 5_000)
    }

    deinit { sqlite3_close_v2(handle) }

    /// `file:` URI of `path` with `immutable=1` (https://www.sqlite.org/uri.html).
    private static func immutableURI(_ path: String) -> String {
        var escaped = ""
        for character in path {
            switch character {
            case "%": escaped += "%25"
            case "?": escaped += "%3f"
            case "#": escaped += "%23"
            default: escaped.append(character)
            }
        }
        return "file:" + escaped + "?immutable=1"
    }

    func error(_ code: Int32) -> SQLiteError {
        SQLiteError(code: code, message: String(cString: sqlite3_errmsg(handle)), path: path)
    }

    /// Runs one or more SQL statements that return no rows.
    public func execute(_ sql: String) throws(SQLiteError) {
        if let journal, journal.isRecording { journal.recordScript(sql) }
        let code = sqlite3_exec(handle, sql, nil, nil, nil)
        guard code == SQLITE_OK else { throw error(code) }
    }

    public func prepare(_ sql: String) throws(SQLiteError) -> Statement {
        try Statement(database: self, sql: sql)
    }

    /// The first column of the first row of a query, as an integer (nil when no row).
    public func scalar(_ sql: String) throws(SQLiteError) -> Int64? {
        let statement = try prepare(sql)
        return try statement.step() ? statement.int(0) : nil
    }

    /// Runs `body` in one transaction (`BEGIN IMMEDIATE`): committed when it returns, rolled
    /// back when it throws.
    public func transaction<Result>(_ body: () throws -> Result) throws -> Result {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// `PRAGMA user_version`, the schema version this project stores in each file.
    public var userVersion: Int64 {
        get throws(SQLiteError) { try scalar("PRAGMA user_version") ?? 0 }
    }

    public func setUserVersion(_ version: Int64) throws(SQLiteError) {
        try execute("PRAGMA user_version = \(version)")
    }

    /// Rows changed by the last statement.
    public var changes: Int { Int(sqlite3_changes(handle)) }
}
