import KafkaWire
import LogStore
import Logging

/// Where a partition's idempotent producers survive a restart: `<partition>/producer-state`.
///
/// The file is a `ChecksummedFile` (magic `RSPS`) whose payload is, big-endian:
///
///     version u8 (1) | covers Int64: the state is that of the batches below this offset |
///     producers Int32 | per producer, least recently used first:
///         id Int64 | epoch Int16 | batches u8 | per batch, oldest first:
///             first sequence Int32 | last sequence Int32 | base offset Int64 |
///             last offset Int64 | records Int32
///
/// It is written whenever the log rolls, covering the new active segment's base (the sealed
/// segments are fsynced, so a crash, even a power loss, cannot cut the log below it), and at a
/// clean close, covering the log end (after the log's own final sync). Batches at or above the
/// covered offset are left out of the file. Opening replays the headers of the batches stored
/// from the covered offset on (about one segment after a crash), so the state equals what the
/// running broker had. A snapshot that is damaged or covers more than the recovered log is
/// replaced by state rebuilt from the active segment alone; a producer whose last batches were
/// in earlier segments is then accepted at any sequence, so a retry of such a batch would be
/// stored twice.
struct ProducerStateFile {
    static let name = "producer-state"
    static let magic = "RSPS"
    static let version: UInt8 = 1

    let path: String

    init(partitionDirectory: String) { path = partitionDirectory + "/" + Self.name }

    /// Writes the state of the batches below `offset`.
    func save(_ sequences: ProducerSequences, covering offset: Offset) throws(LogError) {
        var writer = ByteWriter(capacity: 16 + sequences.producerCount * 64)
        writer.write(Self.version)
        writer.write(offset.rawValue)
        sequences.encode(into: &writer, below: offset)
        try ChecksummedFile.write(writer.take(), magic: Self.magic, to: path)
    }

    func remove() throws(LogError) { try ChecksummedFile.remove(path) }

    /// The state of `log`'s producers: the snapshot, if usable, then every idempotent batch of
    /// an id `issued` stored from its covered offset on. `needsSave` is true when the file
    /// should be replaced now: it was damaged or ahead of the log (it must not pass for usable
    /// once the log grows past it), or it lies before the active segment, or there was none for
    /// a log that has batches. Never throws: a log that cannot be replayed is logged, and its
    /// producers are then accepted at any sequence.
    func load(log: PartitionLog, issued: (Int64) -> Bool, logger: Logger) -> (sequences: ProducerSequences, needsSave: Bool) {
        let end = log.logEndOffset
        let active = log.activeSegmentBaseOffset
        var sequences = ProducerSequences()
        var start = active
        var needsSave = end > log.logStartOffset
        do {
            if let (snapshot, covered) = try snapshot() {
                if covered >= log.logStartOffset, covered <= end {
                    sequences = snapshot
                    start = covered
                    needsSave = covered < active
                } else {
                    needsSave = true
                    logger.notice(
                        "producer state does not match the log; rebuilt from the active segment",
                        metadata: ["file": "\(path)", "covers": "\(covered)", "log": "\(log.logStartOffset) ... \(end)"]
                    )
                }
            }
        } catch {
            needsSave = true
            logger.warning("producer state unreadable; rebuilt from the active segment", metadata: ["file": "\(path)", "reason": "\(error)"])
        }
        do {
            try log.forEachBatchHeader(from: start) { header in
                if ProducerSequences.isIdempotent(header), issued(header.producerId) { sequences.replay(header) }
            }
        } catch {
            logger.warning(
                "cannot replay the log into the producer state; its producers are accepted at any sequence",
                metadata: ["partition": "\(log.directory)", "reason": "\(error)"]
            )
            return (ProducerSequences(), true)
        }
        return (sequences, needsSave)
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
