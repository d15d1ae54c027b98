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
/// It is written at a clean close, whenever the log rolls, and every `snapshotIntervalBytes`
/// of idempotent appends. Opening replays the batch headers stored after it (headers only, from
/// the snapshot's offset to the log end), so the state equals what the running broker had,
/// crash or not. A snapshot that is damaged or covers more than the recovered log (its tail
/// was cut) is replaced by one rebuilt from the active segment alone; a producer whose last
/// batches were in earlier segments is then accepted at any sequence, so a retry of such a
/// batch would be stored twice.
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
    /// an id `issued` stored after it. `stale` is true when a snapshot was there but could not
    /// be used (damaged, or covering records the log lost in a crash): the caller must replace
    /// it before it could pass for usable again. Never throws: a log that cannot be replayed
    /// is logged, and its producers are then accepted at any sequence.
    func load(log: PartitionLog, issued: (Int64) -> Bool, logger: Logger) -> (sequences: ProducerSequences, stale: Bool) {
        let end = log.logEndOffset
        var sequences = ProducerSequences()
        var start = log.activeSegmentBaseOffset
        var stale = false
        do {
            if let (snapshot, covered) = try snapshot() {
                if covered >= log.logStartOffset, covered <= end {
                    sequences = snapshot
                    start = covered
                } else {
                    stale = true
                    logger.notice(
                        "producer state does not match the log; rebuilt from the active segment",
                        metadata: ["file": "\(path)", "covers": "\(covered)", "log": "\(log.logStartOffset) ... \(end)"]
                    )
                }
            }
        } catch {
            stale = true
            logger.warning("producer state unreadable; rebuilt from the active segment", metadata: ["file": "\(path)", "reason": "\(error)"])
        }
        do {
            try log.forEachBatchHeader(from: start) { header in
                if ProducerSequences.isIdempotent(header), issued(header.producerId), header.baseOffset >= start {
                    sequences.record(header, result: AppendResult(header))
                }
            }
        } catch {
            stale = true
            logger.warning("cannot replay the log into the producer state", metadata: ["partition": "\(log.directory)", "reason": "\(error)"])
        }
        return (sequences, stale)
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
