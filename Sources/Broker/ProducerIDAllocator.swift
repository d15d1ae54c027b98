import KafkaWire
import LogStore
import Logging
import Synchronization

/// Hands out producer ids for InitProducerId, and tells the ids this data directory handed out
/// from made-up ones.
///
/// Ids must not repeat across broker restarts, or a new producer could be mistaken for an
/// old one's retry. Rather than persist a counter, ids start at the wall-clock time in
/// milliseconds times 1,000 when the broker opens and count up from there: a later start
/// begins above every id an earlier run handed out unless that run gave out more than 1,000
/// ids per millisecond it was up. Epochs start at 0; this broker has no transactions, so an
/// id is never bumped to a new epoch.
///
/// The first id ever handed out is kept in `<data directory>/producer-ids` (a
/// `ChecksummedFile` of magic `RSPI` and one big-endian Int64), written once when the directory
/// is new. Every id from it up to the next one to hand out was issued here, by this run or an
/// earlier one, so producers of earlier runs are still de-duplicated after a restart.
public final class ProducerIDAllocator: Sendable {
    static let fileName = "producer-ids"
    static let magic = "RSPI"

    private let floor: Int64
    private let next: Atomic<Int64>

    init(directory: String, clock: any WallClock, logger: Logger) throws(BrokerError) {
        let first = max(1, clock.milliseconds()) * 1_000
        next = Atomic(first)
        let path = directory + "/" + Self.fileName
        var stored: Int64?
        do {
            if let payload = try ChecksummedFile.read(path, magic: Self.magic) {
                stored = try payload.withRawBytes { (raw) throws(WireError) in
                    var reader = ByteReader(raw)
                    return try reader.readInt64()
                }
            }
        } catch {
            logger.warning(
                "producer id file unreadable; producers of earlier runs are accepted at any sequence until they start again",
                metadata: ["file": "\(path)", "reason": "\(error)"]
            )
        }
        if let stored, stored > 0, stored <= first {
            floor = stored
            return
        }
        floor = first
        var writer = ByteWriter(capacity: 8)
        writer.write(first)
        do {
            try ChecksummedFile.write(writer.take(), magic: Self.magic, to: path)
        } catch {
            throw BrokerError(.unknownServerError, "cannot record producer ids: \(error)", cause: error)
        }
    }

    /// Whether this data directory handed out `id`. Only such producers are tracked for
    /// de-duplication, so a client cannot fill the tables with made-up ids.
    public func issued(_ id: Int64) -> Bool {
        id >= floor && id < next.load(ordering: .relaxed)
    }

    public func allocate() -> (producerID: Int64, epoch: Int16) {
        (next.wrappingAdd(1, ordering: .relaxed).oldValue, 0)
    }
}
