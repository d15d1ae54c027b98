import KafkaWire
import LogStore

/// Which offset `listOffset` looks up (Kafka ListOffsets: -2 earliest, -1 latest, else a time).
public enum OffsetSpec: Hashable, Sendable {
    case earliest
    case latest
    /// The first offset whose record timestamp is at least this (ms); the log end if none.
    case timestamp(Int64)
}

extension Broker {
    /// Appends one RecordBatch v2 to a partition and returns the offsets it got. Creates the
    /// topic first when it is unknown and auto-creation is on.
    public func append(_ batch: consuming [UInt8], to id: TopicPartition) throws(BrokerError) -> AppendResult {
        try topicCreatingIfAllowed(id.topic).partition(id.partition).append(batch)
    }

    /// Appends a batch the in-process producer has just built, without checking its CRC again.
    func appendBuilt(_ batch: consuming [UInt8], to id: TopicPartition) throws(BrokerError) -> AppendResult {
        try topicCreatingIfAllowed(id.topic).partition(id.partition).append(batch, verifyChecksum: false)
    }

    /// Reads whole batches from one partition without waiting.
    public func read(_ id: TopicPartition, from offset: Offset, maxBytes: Int) throws(BrokerError) -> LogReadResult {
        let partition = try partition(id)
        do {
            return try partition.log.read(from: offset, maxBytes: maxBytes)
        } catch {
            throw BrokerError(error, topicPartition: id)
        }
    }

    /// Resolves an `OffsetSpec` for a partition.
    public func listOffset(_ id: TopicPartition, _ spec: OffsetSpec) throws(BrokerError) -> Offset {
        let log = try partition(id).log
        switch spec {
        case .earliest: return log.logStartOffset
        case .latest: return log.highWatermark
        case let .timestamp(time):
            do {
                return try log.offset(atOrAfterTimestamp: time).map { min($0, log.highWatermark) } ?? log.highWatermark
            } catch {
                throw BrokerError(error, topicPartition: id)
            }
        }
    }

    /// The first record whose timestamp is at least `timestamp`: its offset and timestamp
    /// (ListOffsets by time), or nil when every readable record (below the high watermark) is
    /// older. For a compressed batch,
    /// whose records are not decoded here, the batch's maximum timestamp stands in.
    public func firstRecord(_ id: TopicPartition, atOrAfterTimestamp timestamp: Int64) throws(BrokerError) -> (offset: Offset, timestamp: Int64)? {
        let log = try partition(id).log
        do {
            // Records at or past the high watermark are not readable yet: none is found.
            guard let offset = try log.offset(atOrAfterTimestamp: timestamp), offset < log.highWatermark else { return nil }
            let batch = try log.read(from: offset, maxBytes: 1).bytes
            var found = (offset, timestamp)
            do {
                try RecordBatch.forEachRecord(in: batch) { record in
                    if record.offset == offset { found.1 = record.timestamp }
                }
            } catch {
                if let header = try? batch.withRawBytes({ (raw) throws(WireError) in try RecordBatchHeader.parse(raw) }) {
                    found.1 = header.maxTimestamp
                }
            }
            return found
        } catch {
            throw BrokerError(error, topicPartition: id)
        }
    }

    /// The log start and end offsets of a partition.
    public func bounds(_ id: TopicPartition) throws(BrokerError) -> (start: Offset, end: Offset) {
        let log = try partition(id).log
        return (log.logStartOffset, log.logEndOffset)
    }

    /// The log start offset and the high watermark (`PartitionLog.highWatermark`): what
    /// consumers can read.
    public func readableBounds(_ id: TopicPartition) throws(BrokerError) -> (start: Offset, highWatermark: Offset) {
        let log = try partition(id).log
        return (log.logStartOffset, log.highWatermark)
    }
}
