import CSQLite

/// A failed SQLite call: the result code, SQLite's message, and the database file.
///
/// See https://www.sqlite.org/rescode.html for the codes.
public struct SQLiteError: Error, Hashable, Sendable, CustomStringConvertible {
    public var code: Int32
    public var message: String
    public var path: String

    public init(code: Int32, message: String, path: String) {
        self.code = code
        self.message = message
        self.path = path
    }

    public var description: String { "\(path): \(message) (SQLite code \(code))" }

    /// Whether the disk or the file system refused the write (full disk, read-only, I/O).
    public var isStorageFailure: Bool {
        let primary = code & 0xff
        return primary == SQLITE_FULL || primary == SQLITE_IOERR || primary == SQLITE_READONLY || primary == SQLITE_CANTOPEN
    }
}
