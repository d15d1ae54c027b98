import CPUTime
import CSQLite

/// A prepared statement (https://www.sqlite.org/c3ref/stmt.html): bind, step, read, reset.
///
/// Prepare once, then for each row: `bind` parameters (1-based), `step`, `reset`. Owned by the
/// same owner as its `Database`.
///
/// An execution runs from its first bind (or step) to the end of `run`, to a `step` that
/// finds no more rows, or to `reset`; when the database times statements its wall time is
/// added to `Database.statementNanoseconds`. When the database has a recording journal,
/// every call is recorded there too (`StatementJournal`).
public final class Statement {
    let database: Database
    let handle: OpaquePointer
    let sql: String
    /// The execution in progress, behind a pointer rather than in stored `var`s: Swift checks
    /// each access to a class's stored `var` for exclusivity at run time, and with a dozen
    /// binds per row those checks cost a writer a tenth of its CPU. Only `begin` reads the
    /// database's settings, once per execution.
    private let execution: UnsafeMutablePointer<Execution>

    private struct Execution {
        /// Between the first call of an execution and its end.
        var open = false
        /// The monotonic clock when it began, when the database times statements (else 0).
        var start: UInt64 = 0
        /// Whether its calls are recorded in the database's journal.
        var recording = false
        /// This statement's index in the database's journal, once it recorded a call there.
        var journalIndex = -1
    }

    init(database: Database, sql: String) throws(SQLiteError) {
        self.database = database
        self.sql = sql
        var pointer: OpaquePointer?
        let code = sqlite3_prepare_v3(database.handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &pointer, nil)
        guard code == SQLITE_OK, let pointer else { throw database.error(code) }
        handle = pointer
        execution = .allocate(capacity: 1)
        execution.initialize(to: Execution())
    }

    deinit {
        sqlite3_finalize(handle)
        execution.deinitialize(count: 1)
        execution.deallocate()
    }

    /// Opens an execution unless one is open: reads whether it is timed and recorded.
    @inline(__always) private func begin() {
        guard !execution.pointee.open else { return }
        openExecution()
    }

    private func openExecution() {
        execution.pointee.open = true
        execution.pointee.start = database.timesStatements ? CPUClock.monotonic() : 0
        execution.pointee.recording = database.journal?.isRecording == true
    }

    @inline(__always) private func end() {
        guard execution.pointee.open else { return }
        if execution.pointee.start != 0 { database.statementNanoseconds &+= CPUClock.monotonic() &- execution.pointee.start }
        execution.pointee.open = false
    }

    /// The recording journal and this statement's index in it, when this execution records.
    @inline(__always) private func journal() -> (StatementJournal, Int)? {
        guard execution.pointee.recording, let journal = database.journal else { return nil }
        if execution.pointee.journalIndex < 0 { execution.pointee.journalIndex = journal.register(sql) }
        return (journal, execution.pointee.journalIndex)
    }

    public func bind(_ index: Int32, _ value: Int64) {
        begin()
        if let (journal, statement) = journal() { journal.record(.integer, statement: statement, parameter: index, payload: UInt64(bitPattern: value)) }
        sqlite3_bind_int64(handle, index, value)
    }

    public func bind(_ index: Int32, _ value: Int) { bind(index, Int64(value)) }

    public func bind(_ index: Int32, _ value: Double) {
        begin()
        if let (journal, statement) = journal() { journal.record(.double, statement: statement, parameter: index, payload: value.bitPattern) }
        sqlite3_bind_double(handle, index, value)
    }

    public func bindNull(_ index: Int32) {
        begin()
        if let (journal, statement) = journal() { journal.record(.null, statement: statement, parameter: index) }
        sqlite3_bind_null(handle, index)
    }

    public func bind(_ index: Int32, _ value: String) {
        var value = value
        value.withUTF8 { bytes in bindText(index, UnsafeRawBufferPointer(bytes)) }
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
        bytes.withUnsafeBytes { bindText(index, $0) }
    }

    /// Binds UTF-8 bytes as text (SQLite copies them).
    public func bindText(_ index: Int32, _ bytes: UnsafeRawBufferPointer) {
        bindText(index, bytes, destructor: ridestream_sqlite_transient)
    }

    /// Binds UTF-8 bytes as text without copying them (`SQLITE_STATIC`): SQLite reads them in
    /// place when the statement steps, so they must stay valid and unchanged until the
    /// execution ends (`run`, or the last `step`) and the parameter is bound again. Call it
    /// where the pointer is valid, then run the statement in the same scope.
    public func bindStaticText(_ index: Int32, _ bytes: UnsafeRawBufferPointer) {
        bindText(index, bytes, destructor: nil)
    }

    /// `bindStaticText`, or NULL when there is no text.
    public func bindStaticText(_ index: Int32, _ bytes: UnsafeRawBufferPointer?) {
        guard let bytes else { return bindNull(index) }
        bindStaticText(index, bytes)
    }

    private func bindText(_ index: Int32, _ bytes: UnsafeRawBufferPointer, destructor: sqlite3_destructor_type?) {
        begin()
        if let (journal, statement) = journal() { journal.recordText(statement: statement, parameter: index, bytes) }
        guard let start = bytes.baseAddress, !bytes.isEmpty else {
            // An empty buffer may have no address, which SQLite would bind as NULL.
            sqlite3_bind_text(handle, index, "", 0, ridestream_sqlite_transient)
            return
        }
        sqlite3_bind_text(handle, index, start.assumingMemoryBound(to: CChar.self), Int32(bytes.count), destructor)
    }

    /// Advances: true when a row is ready to read, false when done.
    @discardableResult
    public func step() throws(SQLiteError) -> Bool {
        begin()
        if let (journal, statement) = journal() { journal.record(.step, statement: statement) }
        let code = sqlite3_step(handle)
        switch code {
        case SQLITE_ROW: return true
        case SQLITE_DONE:
            end()
            return false
        default:
            end()
            throw database.error(code)
        }
    }

    /// Steps to completion and resets for the next use, keeping bindings to be overwritten.
    public func run() throws(SQLiteError) {
        begin()
        if let (journal, statement) = journal() { journal.record(.run, statement: statement) }
        defer {
            sqlite3_reset(handle)
            end()
        }
        var code: Int32
        repeat { code = sqlite3_step(handle) } while code == SQLITE_ROW
        guard code == SQLITE_DONE else { throw database.error(code) }
    }

    public func reset() {
        begin()
        if let (journal, statement) = journal() { journal.record(.reset, statement: statement) }
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        end()
    }

    public func int(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }
    public func double(_ column: Int32) -> Double { sqlite3_column_double(handle, column) }
    public func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }

    public func string(_ column: Int32) -> String? {
        guard let text = sqlite3_column_text(handle, column) else { return nil }
        return String(cString: text)
    }
}
