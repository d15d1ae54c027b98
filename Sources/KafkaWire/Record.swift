/// A record header: a string key and optional bytes.
public struct RecordHeader: Hashable, Sendable {
    public var key: String
    public var value: [UInt8]?

    public init(key: String, value: [UInt8]?) {
        self.key = key
        self.value = value
    }
}

/// A record read from a stored batch.
///
/// `key` and `value` are slices of the buffer the batch was read into: no copy per record.
/// Keep a record only as long as you are willing to keep that buffer alive.
public struct BatchRecord: Sendable {
    public var offset: Offset
    /// Milliseconds since the Unix epoch.
    public var timestamp: Int64
    public var key: ArraySlice<UInt8>?
    public var value: ArraySlice<UInt8>?
    public var headers: [RecordHeader]

    public init(offset: Offset, timestamp: Int64, key: ArraySlice<UInt8>?, value: ArraySlice<UInt8>?, headers: [RecordHeader] = []) {
        self.offset = offset
        self.timestamp = timestamp
        self.key = key
        self.value = value
        self.headers = headers
    }

    /// The value of the first header named `key`.
    public func header(_ key: String) -> [UInt8]? {
        headers.first { $0.key == key }?.value
    }
}
