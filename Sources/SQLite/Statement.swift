import CSQLite

/// A prepared statement (https://www.sqlite.org/c3ref/stmt.html): bind, step, read, reset.
///
/// Prepare once, then for each row: `bind` parameters (1-based), `step`, `reset`. Owned by the
/// same owner as its `Database`.
public final class Statement {
    let database: Database
    let handle: OpaquePointer

    init(database: Database, sql: String) throws(SQLiteError) {
        self.database = database
        var pointer: OpaquePointer?
        let code = sqlite3_prepare_v3(database.handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &pointer, nil)
        guard code == SQLITE_OK, let pointer else { throw database.error(code) }
        handle = pointer
    }

    deinit { sqlite3_finalize(handle) }

    public func bind(_ index: Int32, _ value: Int64) { sqlite3_bind_int64(handle, index, value) }
    public func bind(_ index: Int32, _ value: Int) { sqlite3_bind_int64(handle, index, Int64(value)) }
    public func bind(_ index: Int32, _ value: Double) { sqlite3_bind_double(handle, index, value) }
    public func bindNull(_ index: Int32) { sqlite3_bind_null(handle, index) }

    public func bind(_ index: Int32, _ value: String) {
        sqlite3_bind_text(handle, index, value, -1, ridestream_sqlite_transient)
    }

    public func bind(_ index: Int32, _ value: String?) {
        guard let value else { return bindNull(index) }
        bind(index, value)
    }

    public func bind(_ index: Int32, _ value: Int64?) {
        guard let value else { return bindNull(index) }
        bind(index, value)
    }

    /// Binds UTF-8 bytes as text without building a `String`.
    public func bindText(_ index: Int32, _ bytes: ArraySlice<UInt8>) {
        bytes.withUnsafeBufferPointer { buffer in
            _ = sqlite3_bind_text(handle, index, buffer.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) }, Int32(buffer.count), ridestream_sqlite_transient)
        }
    }

    /// Advances: true when a row is ready to read, false when done.
    @discardableResult
    public func step() throws(SQLiteError) -> Bool {
        let code = sqlite3_step(handle)
        switch code {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw database.error(code)
        }
    }

    /// Steps to completion and resets for the next use, keeping bindings to be overwritten.
    public func run() throws(SQLiteError) {
        defer { sqlite3_reset(handle) }
        while try step() {}
    }

    public func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    public func int(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }
    public func double(_ column: Int32) -> Double { sqlite3_column_double(handle, column) }
    public func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }

    public func string(_ column: Int32) -> String? {
        guard let text = sqlite3_column_text(handle, column) else { return nil }
        return String(cString: text)
    }
}
