import KafkaWire
import LogStore
import Logging
import Synchronization

/// Hands out producer ids for InitProducerId, and tells the ids this data directory handed out
/// from made-up ones.
///
/// Ids must never repeat in a data directory, or a new producer could be taken for an old
/// one's retry (its saved state outlives restarts). `<data directory>/producer-ids`, a
/// `ChecksummedFile` of magic `RSPI`, holds two big-endian Int64s: the first id the directory
/// ever handed out, and a reservation every id handed out so far is below. Ids are reserved
/// in blocks of `reservationBlock`; the file is rewritten (fsync, rename) before an id past
/// the reservation is handed out, so a crash loses at most the rest of a block.
///
/// A run starts at the reservation or at the wall-clock time in milliseconds times 1,000,
/// whichever is larger; the clock only matters when the file is lost or damaged, and then it
/// keeps new ids above those of earlier runs unless the clock went back. Epochs start at 0;
/// this broker has no transactions, so an id is never bumped to a new epoch.
public final class ProducerIDAllocator: Sendable {
    static let fileName = "producer-ids"
    static let magic = "RSPI"
    static let reservationBlock: Int64 = 1_000

    private let path: String
    private let floor: Int64
    /// The next id to hand out; read without a lock by `issued`, written under `reserved`.
    private let next: Atomic<Int64>
    /// Every id below this is reserved in the file.
    private let reserved: Mutex<Int64>
    private let readOnly: Bool

    /// `readOnly` reads the file and writes nothing: `allocate` then fails.
    init(directory: String, clock: any WallClock, logger: Logger, readOnly: Bool = false) {
        let path = directory + "/" + Self.fileName
        self.path = path
        self.readOnly = readOnly
        if !readOnly { try? ChecksummedFile.remove(path + ".tmp") }
        let clockStart = max(1, clock.milliseconds()) * 1_000
        var stored: (floor: Int64, reserved: Int64)?
        do {
            if let payload = try ChecksummedFile.read(path, magic: Self.magic) { stored = try Self.decode(payload, path: path) }
        } catch {
            logger.warning(
                "producer id file unreadable; producers of earlier runs are accepted at any sequence until they start again",
                metadata: ["file": "\(path)", "reason": "\(error)"]
            )
        }
        floor = stored?.floor ?? clockStart
        let start = max(clockStart, stored?.reserved ?? 0)
        next = Atomic(start)
        reserved = Mutex(start)
        if readOnly { return }
        do {
            try reserved.withLock { (reserved) throws(BrokerError) in try reserve(&reserved, from: start) }
        } catch {
            logger.warning("cannot reserve producer ids; InitProducerId fails until it can", metadata: ["reason": "\(error)"])
        }
    }

    /// Whether this data directory handed out `id`. Only such producers are tracked for
    /// de-duplication, so a client cannot fill the tables with made-up ids.
    public func issued(_ id: Int64) -> Bool {
        id >= floor && id < next.load(ordering: .acquiring)
    }

    /// A new producer id and its epoch.
    ///
    /// - Throws: `BrokerError` when a new reservation cannot be written (a full disk).
    public func allocate() throws(BrokerError) -> (producerID: Int64, epoch: Int16) {
        if readOnly { throw BrokerError(.unknownServerError, "\(path): the broker was opened read-only") }
        return try reserved.withLock { (reserved) throws(BrokerError) in
            let id = next.load(ordering: .relaxed)
            if id >= reserved { try reserve(&reserved, from: id) }
            next.store(id + 1, ordering: .releasing)
            return (id, 0)
        }
    }

    private func reserve(_ reserved: inout Int64, from id: Int64) throws(BrokerError) {
        let end = id + Self.reservationBlock
        var writer = ByteWriter(capacity: 16)
        writer.write(floor)
        writer.write(end)
        do {
            try ChecksummedFile.write(writer.take(), magic: Self.magic, to: path)
        } catch {
            throw BrokerError(.unknownServerError, "cannot reserve producer ids: \(error)", cause: error)
        }
        reserved = end
    }

    private static func decode(_ payload: [UInt8], path: String) throws(LogError) -> (floor: Int64, reserved: Int64) {
        do {
            return try payload.withRawBytes { (raw) throws(WireError) in
                var reader = ByteReader(raw)
                let floor = try reader.readInt64()
                let reserved = try reader.readInt64()
                guard floor > 0, reserved >= floor, reader.isAtEnd else {
                    throw WireError(.malformed, "implausible ids \(floor) and \(reserved)")
                }
                return (floor, reserved)
            }
        } catch {
            throw LogError(.corruptSegment, "producer ids: \(error)", path: path)
        }
    }
}
