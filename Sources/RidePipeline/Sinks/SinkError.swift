import SQLite

/// Why a sink could not write.
public struct SinkError: Error, Hashable, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }

    static func sqlite(_ error: SQLiteError) -> SinkError { SinkError(error.description) }
}

/// A batch was refused because the partition's stored offset is not where the batch starts:
/// another consumer has written the partition since this one read its position (it lost the
/// partition in a rebalance). The consumer must seek to `storedOffset`.
public struct StaleBatchError: Error, Hashable, Sendable {
    public var partition: Int
    public var storedOffset: Int64
}
