import KafkaWire

/// When appended data is forced from the page cache to the disk.
public enum FlushPolicy: Hashable, Sendable, CustomStringConvertible {
    /// Leave it to the operating system; fsync only when a segment rolls and when the log
    /// closes. Kafka's default: durability comes from replication there, from the OS here.
    case never
    /// fsync once this many records or this many milliseconds have accumulated since the last
    /// flush, whichever comes first (checked on append and by `flushIfDue`).
    case interval(records: Int?, milliseconds: Int64?)
    /// fsync before every append returns. Concurrent appenders share one fsync (group
    /// commit): an append whose bytes another caller's fsync already covered does not sync.
    case everyAppend

    public var description: String {
        switch self {
        case .never: return "never"
        case .everyAppend: return "every append"
        case let .interval(records, milliseconds):
            let parts = [records.map { "\($0) records" }, milliseconds.map { "\($0) ms" }].compactMap { $0 }
            return "every " + parts.joined(separator: " or ")
        }
    }
}

/// Settings of one partition log. The defaults are Kafka's broker defaults unless noted.
public struct LogConfiguration: Hashable, Sendable {
    /// Roll to a new segment when the active one would exceed this size (Kafka `segment.bytes`,
    /// 1 GiB). At most 2 GiB - 1, because index positions are 32-bit.
    public var segmentBytes: Int = 1 << 30
    /// Roll when the active segment's first append is older than this (Kafka `segment.ms`, 7 days).
    public var segmentMilliseconds: Int64 = 7 * 24 * 3_600_000
    /// Delete sealed segments whose newest record is older than this; nil keeps them forever
    /// (Kafka `retention.ms`, 7 days).
    public var retentionMilliseconds: Int64? = 7 * 24 * 3_600_000
    /// Delete the oldest sealed segments while the log exceeds this size; nil for no limit
    /// (Kafka `retention.bytes`, -1).
    public var retentionBytes: Int64? = nil
    /// Bytes between sparse offset-index entries (Kafka `index.interval.bytes`, 4096).
    public var indexIntervalBytes: Int = 4096
    /// The largest batch an append accepts (Kafka `max.message.bytes`, 1048588).
    public var maxBatchBytes: Int = 1_048_588
    /// See `FlushPolicy`; the default is `.never`, as in Kafka.
    public var flush: FlushPolicy = .never

    public init() {}

    /// Checks the ranges; the error names the setting.
    public func validate() throws(LogError) {
        guard segmentBytes >= 1024, segmentBytes <= Int(Int32.max) else {
            throw LogError(.invalidConfiguration, "segment bytes must be between 1024 and \(Int32.max), got \(segmentBytes)")
        }
        guard segmentMilliseconds > 0 else { throw LogError(.invalidConfiguration, "segment milliseconds must be positive") }
        guard maxBatchBytes >= RecordBatchHeader.size else {
            throw LogError(.invalidConfiguration, "max batch bytes must be at least \(RecordBatchHeader.size)")
        }
        guard indexIntervalBytes > 0 else { throw LogError(.invalidConfiguration, "index interval bytes must be positive") }
        if let retentionMilliseconds, retentionMilliseconds <= 0 {
            throw LogError(.invalidConfiguration, "retention milliseconds must be positive or unset")
        }
        if let retentionBytes, retentionBytes <= 0 {
            throw LogError(.invalidConfiguration, "retention bytes must be positive or unset")
        }
        if case let .interval(records, milliseconds) = flush {
            guard records != nil || milliseconds != nil, (records ?? 1) > 0, (milliseconds ?? 1) > 0 else {
                throw LogError(.invalidConfiguration, "a flush interval needs a positive record count or milliseconds")
            }
        }
    }
}
