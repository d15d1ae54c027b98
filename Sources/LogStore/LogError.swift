import KafkaWire

/// Why a log operation failed. Every error names the file or directory involved.
public struct LogError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Hashable, Sendable {
        /// A system call on a file failed (full disk, permissions, ...); `errno` is set.
        case io
        /// Stored bytes fail their checks where recovery may not simply drop them.
        case corruptSegment
        /// An offset outside `[logStartOffset, logEndOffset]`.
        case offsetOutOfRange
        /// A batch larger than the configured maximum (`maxBatchBytes`).
        case batchTooLarge
        /// Appended bytes that are not exactly one valid RecordBatch v2.
        case invalidBatch
        /// A configuration value out of range.
        case invalidConfiguration
        /// The log was closed or deleted.
        case closed
        /// An earlier write, roll or sync of this log failed (a full disk, an I/O error): the log
        /// takes no more appends until it is reopened, which recovers its tail, so no later
        /// batch can land behind a lost one. Reads still work.
        case offline
        /// The log was opened read-only (inspection, `verify`): nothing may be written.
        case readOnly
    }

    public var kind: Kind
    public var message: String
    public var path: String?
    public var errno: Int32?

    public init(_ kind: Kind, _ message: String, path: String? = nil, errno: Int32? = nil) {
        self.kind = kind
        self.message = message
        self.path = path
        self.errno = errno
    }

    public var description: String {
        if let path { return "\(path): \(message)" }
        return message
    }
}
