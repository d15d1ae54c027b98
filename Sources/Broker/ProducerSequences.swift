import KafkaWire
import LogStore

/// Idempotent-producer de-duplication for one partition (Kafka's producer state).
///
/// A producer that called InitProducerId stamps every batch with its producer id, epoch and
/// the sequence number of the batch's first record; sequences count records per partition
/// from 0 and wrap at `Int32.max`. A retried batch (its response was lost) carries the same
/// sequences again. For each producer the table keeps the epoch and the last
/// `retainedBatches` batches appended (Kafka keeps 5, matching
/// `max.in.flight.requests.per.connection`):
/// - a batch equal to a retained one is a duplicate: answered with the first append's offsets,
///   not appended again;
/// - the next batch of the current epoch must start right after the last sequence, else
///   OUT_OF_ORDER_SEQUENCE_NUMBER;
/// - an older epoch is fenced (INVALID_PRODUCER_EPOCH); a newer one starts over at sequence 0;
/// - a producer the table does not know (new, or forgotten as described below) is accepted at
///   any sequence.
///
/// Only producer ids this data directory issued are tracked (`Partition` checks). The table
/// outlives restarts through `ProducerStateFile`.
///
/// The table holds at most `maximumProducers` producers; the one idle longest is forgotten
/// first, so memory stays bounded whatever the number of short-lived producers.
struct ProducerSequences {
    static let retainedBatches = 5
    static let maximumProducers = 1024

    struct AppendedBatch: Hashable {
        var firstSequence: Int32
        var lastSequence: Int32
        var result: AppendResult
    }

    struct Producer {
        var epoch: Int16
        var batches: [AppendedBatch]
        var lastUse: UInt64
    }

    enum Verdict: Equatable {
        case append
        case duplicate(AppendResult)
    }

    private var producers: [Int64: Producer] = [:]
    private var useCounter: UInt64 = 0

    /// Whether a batch takes part in de-duplication: it carries a producer id and a sequence.
    static func isIdempotent(_ header: RecordBatchHeader) -> Bool {
        header.producerId >= 0 && header.baseSequence >= 0
    }

    static func lastSequence(_ header: RecordBatchHeader) -> Int32 {
        let last = Int64(header.baseSequence) + Int64(header.lastOffsetDelta)
        return Int32(truncatingIfNeeded: last > Int64(Int32.max) ? last - Int64(Int32.max) - 1 : last)
    }

    static func successor(of sequence: Int32) -> Int32 { sequence == Int32.max ? 0 : sequence + 1 }

    /// What to do with an idempotent batch about to be appended to `partition`.
    func check(_ header: RecordBatchHeader, partition: TopicPartition) throws(BrokerError) -> Verdict {
        guard let known = producers[header.producerId] else { return .append }
        let first = header.baseSequence
        if header.producerEpoch < known.epoch {
            throw BrokerError(
                .invalidProducerEpoch,
                "\(partition): producer \(header.producerId) epoch \(header.producerEpoch) is older than its current epoch \(known.epoch)"
            )
        }
        if header.producerEpoch > known.epoch {
            guard first == 0 else {
                throw BrokerError(
                    .outOfOrderSequenceNumber,
                    "\(partition): producer \(header.producerId) began epoch \(header.producerEpoch) at sequence \(first), not 0"
                )
            }
            return .append
        }
        let last = Self.lastSequence(header)
        if let earlier = known.batches.first(where: { $0.firstSequence == first && $0.lastSequence == last }) {
            return .duplicate(earlier.result)
        }
        let expected = Self.successor(of: known.batches.last!.lastSequence)
        guard first == expected else {
            throw BrokerError(
                .outOfOrderSequenceNumber,
                "\(partition): producer \(header.producerId) sent sequence \(first), expected \(expected)"
            )
        }
        return .append
    }

    /// Records a batch that `check` allowed and the log appended.
    mutating func record(_ header: RecordBatchHeader, result: AppendResult) {
        useCounter += 1
        let batch = AppendedBatch(firstSequence: header.baseSequence, lastSequence: Self.lastSequence(header), result: result)
        if var known = producers[header.producerId], known.epoch == header.producerEpoch {
            known.batches.append(batch)
            if known.batches.count > Self.retainedBatches { known.batches.removeFirst() }
            known.lastUse = useCounter
            producers[header.producerId] = known
            return
        }
        producers[header.producerId] = Producer(epoch: header.producerEpoch, batches: [batch], lastUse: useCounter)
        if producers.count > Self.maximumProducers,
           let idlest = producers.min(by: { $0.value.lastUse < $1.value.lastUse })?.key {
            producers.removeValue(forKey: idlest)
        }
    }
}

extension ProducerSequences {
    var producerCount: Int { producers.count }

    /// Appends the table as it stood before `offset` in `ProducerStateFile`'s layout (from
    /// its producer count on): batches at or above `offset` are left out, and producers with
    /// no batch left.
    func encode(into writer: inout ByteWriter, below offset: Offset) {
        let kept = producers.sorted(by: { $0.value.lastUse < $1.value.lastUse }).compactMap { entry -> (Int64, Producer)? in
            var producer = entry.value
            producer.batches.removeAll { $0.result.lastOffset >= offset }
            return producer.batches.isEmpty ? nil : (entry.key, producer)
        }
        writer.write(Int32(kept.count))
        for (id, producer) in kept {
            writer.write(id)
            writer.write(producer.epoch)
            writer.write(UInt8(producer.batches.count))
            for batch in producer.batches {
                writer.write(batch.firstSequence)
                writer.write(batch.lastSequence)
                writer.write(batch.result.baseOffset.rawValue)
                writer.write(batch.result.lastOffset.rawValue)
                writer.write(Int32(batch.result.recordCount))
            }
        }
    }

    /// Records a stored batch read back from the log, unless the table already holds it (or a
    /// later batch of its producer): replaying is idempotent.
    mutating func replay(_ header: RecordBatchHeader) {
        if let known = producers[header.producerId], known.epoch == header.producerEpoch,
           let last = known.batches.last, last.result.lastOffset >= header.baseOffset {
            return
        }
        record(header, result: AppendResult(header))
    }

    /// Reads a table written by `encode(into:below:)`; producers get their recency from their order.
    init(decoding reader: inout ByteReader) throws(WireError) {
        let count = try reader.readCount("producers", minimumElementBytes: 11)
        for _ in 0 ..< count {
            let id = try reader.readInt64()
            let epoch = try reader.readInt16()
            let batchCount = Int(UInt8(bitPattern: try reader.readInt8()))
            guard (1 ... Self.retainedBatches).contains(batchCount) else {
                throw WireError(.malformed, "producer \(id) has \(batchCount) batches", at: reader.position)
            }
            var batches: [AppendedBatch] = []
            for _ in 0 ..< batchCount {
                let first = try reader.readInt32()
                let last = try reader.readInt32()
                let base = Offset(try reader.readInt64())
                let lastOffset = Offset(try reader.readInt64())
                let records = Int(try reader.readInt32())
                batches.append(AppendedBatch(firstSequence: first, lastSequence: last, result: AppendResult(baseOffset: base, lastOffset: lastOffset, recordCount: records)))
            }
            useCounter += 1
            producers[id] = Producer(epoch: epoch, batches: batches, lastUse: useCounter)
        }
        guard reader.remaining == 0 else { throw WireError(.malformed, "\(reader.remaining) bytes after the producers", at: reader.position) }
    }
}
