import KafkaWire
import LogStore
import Logging

/// Where a partition's idempotent producers survive a restart: `<partition>/producer-state`.
///
/// The file is a `ChecksummedFile` (magic `RSPS`) whose payload is, big-endian:
///
///     version u8 (1) | covers Int64: the log end offset the state was taken at |
///     producers Int32 | per producer, least recently used first:
///         id Int64 | epoch Int16 | batches u8 | per batch, oldest first:
///             first sequence Int32 | last sequence Int32 | base offset Int64 |
///             last offset Int64 | records Int32
///
/// It is written at a clean close and every `snapshotIntervalBytes` of idempotent appends.
/// Opening replays the batch headers stored after it, so the state equals what the running
/// broker had, crash or not. The replay reads at most the active segment: a snapshot older
/// than that segment is dropped rather than replayed over a gap (a producer whose last batches
/// fall in such a gap is then accepted at any sequence, as a new one, never refused).
struct ProducerStateFile {
    static let name = "producer-state"
    static let magic = "RSPS"
    static let version: UInt8 = 1
    static let snapshotIntervalBytes = 64 << 20

    let path: String

    init(partitionDirectory: String) { path = partitionDirectory + "/" + Self.name }

    func save(_ sequences: ProducerSequences, covering offset: Offset) throws(LogError) {
        var writer = ByteWriter(capacity: 16 + sequences.producerCount * 64)
        writer.write(Self.version)
        writer.write(offset.rawValue)
        sequences.encode(into: &writer)
        try ChecksummedFile.write(writer.take(), magic: Self.magic, to: path)
    }

    /// The state of `log`'s producers: the snapshot, if usable, then every idempotent batch of
    /// an id `issued` stored after it.
    func load(
        log: PartitionLog, issued: (Int64) -> Bool, logger: Logger
    ) throws(LogError) -> ProducerSequences {
        let end = log.logEndOffset
        let replayFloor = max(log.logStartOffset, log.segmentBaseOffsets.last ?? end)
        var sequences = ProducerSequences()
        var start = replayFloor
        do {
            if let (snapshot, covered) = try snapshot(), covered >= replayFloor, covered <= end {
                sequences = snapshot
                start = covered
            }
        } catch {
            logger.warning("producer state unreadable; rebuilt from the log", metadata: ["file": "\(path)", "reason": "\(error)"])
        }
        try log.forEachBatchHeader(from: start) { header in
            if ProducerSequences.isIdempotent(header), issued(header.producerId), header.baseOffset >= start {
                sequences.record(header, result: AppendResult(header))
            }
        }
        return sequences
    }

    private func snapshot() throws(LogError) -> (ProducerSequences, Offset)? {
        guard let payload = try ChecksummedFile.read(path, magic: Self.magic) else { return nil }
        do {
            return try payload.withRawBytes { (raw) throws(WireError) in
                var reader = ByteReader(raw)
                let version = UInt8(bitPattern: try reader.readInt8())
                guard version == Self.version else { throw WireError(.malformed, "producer state version \(version), expected \(Self.version)") }
                let covered = Offset(try reader.readInt64())
                return (try ProducerSequences(decoding: &reader), covered)
            }
        } catch {
            throw LogError(.corruptSegment, "producer state: \(error)", path: path)
        }
    }
}
