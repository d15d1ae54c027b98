import CSQLite

/// What a connection's statements were asked to do, in order, kept to be done again on
/// another connection: `bench pipeline`'s ceiling replays the sinks' exact SQLite work (the
/// same statements, values and transactions) with nothing else around it.
///
/// Recorded while `Database.journal` is set and `isRecording` is true; on one thread (the
/// connection's), then only read. Replayed texts are bound without a copy (`SQLITE_STATIC`,
/// from the journal's own storage), as the cheapest binding SQLite offers.
///
/// Format: `words` holds one header word per call, and after a bound value one payload word.
/// A header is `kind | parameter << 8 | statement << 24`: the statement's index in `sql` (for
/// `execute`, the script's index in `scripts`) and the 1-based parameter of a bind. A payload
/// is an integer's two's complement, a double's bits, or a text's `offset << 24 | length`
/// into `text`. About 16 bytes per bound value plus its text: 300 bytes per event for the
/// three sinks.
public final class StatementJournal: @unchecked Sendable {
    enum Kind: UInt64 {
        case integer, double, null, text, step, run, reset, execute
    }

    /// Calls are recorded only while this is true (not while a file's schema is made, say).
    public var isRecording = false
    /// Each recorded statement's SQL, by index.
    private(set) var sql: [String] = []
    /// Each script `Database.execute` ran, by index (BEGIN IMMEDIATE, COMMIT, ...).
    private(set) var scripts: [String] = []
    private var scriptIndex: [String: UInt64] = [:]
    private var words: [UInt64] = []
    /// Bound texts, one after another; its first byte is never bound, so the storage always
    /// has an address (an empty text is bound as empty, not NULL).
    private var text: [UInt8] = [0]

    public init() {}

    /// Bytes the journal holds.
    public var byteCount: Int { words.count * 8 + text.count }

    /// Calls recorded (binds, steps, resets, scripts).
    public var calls: Int {
        var count = 0
        var index = 0
        while index < words.count {
            index += Self.hasPayload(words[index]) ? 2 : 1
            count += 1
        }
        return count
    }

    // MARK: - Recording

    func register(_ statementSQL: String) -> Int {
        sql.append(statementSQL)
        return sql.count - 1
    }

    func record(_ kind: Kind, statement: Int, parameter: Int32 = 0) {
        words.append(kind.rawValue | UInt64(UInt16(truncatingIfNeeded: parameter)) << 8 | UInt64(statement) << 24)
    }

    func record(_ kind: Kind, statement: Int, parameter: Int32, payload: UInt64) {
        record(kind, statement: statement, parameter: parameter)
        words.append(payload)
    }

    func recordText(statement: Int, parameter: Int32, _ bytes: UnsafeRawBufferPointer) {
        record(.text, statement: statement, parameter: parameter, payload: UInt64(text.count) << 24 | UInt64(bytes.count))
        text.append(contentsOf: bytes)
    }

    func recordScript(_ script: String) {
        let index = scriptIndex[script] ?? {
            scripts.append(script)
            scriptIndex[script] = UInt64(scripts.count - 1)
            return UInt64(scripts.count - 1)
        }()
        words.append(Kind.execute.rawValue | index << 24)
    }

    private static func hasPayload(_ header: UInt64) -> Bool {
        switch Kind(rawValue: header & 0xff) {
        case .integer?, .double?, .text?: true
        default: false
        }
    }

    // MARK: - Replay

    /// Does every recorded call again on `database`, in order, with the statements prepared
    /// there first (a statement's SQL names the same tables: `database` has the schema the
    /// recorded one had when recording began).
    public func replay(on database: Database) throws(SQLiteError) {
        var statements: [OpaquePointer] = []
        defer { for statement in statements { sqlite3_finalize(statement) } }
        for text in sql {
            var pointer: OpaquePointer?
            let code = sqlite3_prepare_v3(database.handle, text, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &pointer, nil)
            guard code == SQLITE_OK, let pointer else { throw database.error(code) }
            statements.append(pointer)
        }
        let failure: Int32 = text.withUnsafeBytes { arena in
            words.withUnsafeBufferPointer { words in
                Self.replay(words, arena: arena, statements: statements, scripts: scripts, database: database.handle)
            }
        }
        guard failure == SQLITE_OK else { throw database.error(failure) }
    }

    /// The replay loop; returns the first failing result code, or SQLITE_OK.
    private static func replay(
        _ words: UnsafeBufferPointer<UInt64>, arena: UnsafeRawBufferPointer, statements: [OpaquePointer], scripts: [String],
        database: OpaquePointer
    ) -> Int32 {
        var index = 0
        while index < words.count {
            let header = words[index]
            let statement = Int(header >> 24)
            let parameter = Int32(header >> 8 & 0xffff)
            let payload = Self.hasPayload(header) ? words[index + 1] : 0
            index += Self.hasPayload(header) ? 2 : 1
            var code = SQLITE_OK
            switch Kind(rawValue: header & 0xff)! {
            case .integer: code = sqlite3_bind_int64(statements[statement], parameter, Int64(bitPattern: payload))
            case .double: code = sqlite3_bind_double(statements[statement], parameter, Double(bitPattern: payload))
            case .null: code = sqlite3_bind_null(statements[statement], parameter)
            case .text:
                let start = (arena.baseAddress! + Int(payload >> 24)).assumingMemoryBound(to: CChar.self)
                code = sqlite3_bind_text(statements[statement], parameter, start, Int32(payload & 0xff_ffff), nil)
            case .step:
                code = sqlite3_step(statements[statement])
                if code == SQLITE_ROW || code == SQLITE_DONE { code = SQLITE_OK }
            case .run:
                repeat { code = sqlite3_step(statements[statement]) } while code == SQLITE_ROW
                sqlite3_reset(statements[statement])
                if code == SQLITE_DONE { code = SQLITE_OK }
            case .reset:
                sqlite3_reset(statements[statement])
                sqlite3_clear_bindings(statements[statement])
            case .execute:
                code = sqlite3_exec(database, scripts[statement], nil, nil, nil)
            }
            guard code == SQLITE_OK else { return code }
        }
        return SQLITE_OK
    }
}
