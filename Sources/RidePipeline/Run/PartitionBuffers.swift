import KafkaWire
import RideModel

/// What one pipeline consumer holds between the log and its group's database: per partition,
/// the events read but not stored yet. A value-type state machine: it is told what was read,
/// what was stored and what moved, with the time as a parameter, and answers which chunks to
/// write. It does no I/O, so `PipelineConsumer`'s rules are tested without a log or a file.
///
/// Invariants: a buffer covers the offsets `firstOffset ..< nextOffset` of its partition and
/// holds the decodable events among them in offset order; `firstOffset` is where the
/// partition's stored offset must be for the next chunk to be accepted.
///
/// Events are held in a slice: a chunk is a slice of the same storage (no event is copied
/// to write it), and storing it moves the slice's start. Stored events are let go when the
/// buffer empties, when appending outgrows the storage, or once they outnumber the events
/// left (see `stored`), so a buffer holds at most about twice the events it buffers.
struct PartitionBuffers {
    struct Buffer {
        var firstOffset: Offset
        var nextOffset: Offset
        var events: ArraySlice<PositionedEvent> = []
        /// When the oldest event still buffered was read (for `lingerMs`).
        var since: ContinuousClock.Instant
    }

    /// One transaction's worth: up to `batchSize` events and the offsets they cover.
    struct Chunk {
        var partition: PartitionID
        var firstOffset: Offset
        var nextOffset: Offset
        var events: ArraySlice<PositionedEvent>
    }

    let batchSize: Int
    let linger: Duration
    private(set) var buffers: [PartitionID: Buffer] = [:]
    /// Records whose value was missing or not an event; skipped (their offsets still advance).
    private(set) var undecodable = 0

    init(batchSize: Int, linger: Duration) {
        self.batchSize = max(1, batchSize)
        self.linger = linger
    }

    var isEmpty: Bool { buffers.isEmpty }
    var partitions: [PartitionID] { buffers.keys.sorted() }

    /// What `take` did with a batch.
    enum Taken: Hashable {
        case taken
        /// The batch starts after the buffer's end: the offsets in between are no longer in
        /// the log (the consumer's position was reset to the log start after retention). The
        /// batch was not taken; the buffer must be stored and the gap resolved first.
        case jumped(from: Offset, to: Offset)
    }

    /// Adds a fetched batch. Records before the buffer's end were taken already (a re-fetch
    /// after a seek) and are skipped.
    ///
    /// - Parameter acceptingJump: take a batch that starts after the buffer's end anyway: the
    ///   log still has the offsets in between, which hold no records (Kafka's control records).
    @discardableResult
    mutating func take(_ batch: EventBatch, now: ContinuousClock.Instant, acceptingJump: Bool = false) -> Taken {
        guard let first = batch.offsets.first else { return .taken }
        let partition = batch.partition
        if !acceptingJump, let end = buffers[partition]?.nextOffset, first > end { return .jumped(from: end, to: first) }
        // Taken out of the dictionary while it grows, so that appending never copies it.
        var buffer = buffers.removeValue(forKey: partition) ?? Buffer(firstOffset: first, nextOffset: first, since: now)
        if buffer.events.isEmpty { buffer.since = now }
        for index in batch.offsets.indices where batch.offsets[index] >= buffer.nextOffset {
            guard let value = batch.values[index], let event = try? LocationEventView.decode(value) else {
                undecodable += 1
                continue
            }
            buffer.events.append(PositionedEvent(partition: partition, offset: batch.offsets[index], event: event))
        }
        buffer.nextOffset = max(buffer.nextOffset, batch.nextOffset)
        buffers[partition] = buffer
        return .taken
    }

    /// The partitions with something to write now: a full batch, a buffer that has waited
    /// `linger`, or (`force`) anything at all, including offsets that advanced with no event.
    func due(now: ContinuousClock.Instant, force: Bool) -> [PartitionID] {
        partitions.filter { isDue($0, now: now, force: force) }
    }

    /// Whether one partition has something to write now (see `due`).
    func isDue(_ partition: PartitionID, now: ContinuousClock.Instant, force: Bool) -> Bool {
        guard let buffer = buffers[partition], !buffer.events.isEmpty || buffer.nextOffset > buffer.firstOffset else { return false }
        return force || buffer.events.count >= batchSize || now - buffer.since >= linger
    }

    /// The next chunk of a partition: its first `batchSize` events, covering offsets up to the
    /// first event left behind (or the buffer's end).
    func chunk(_ partition: PartitionID) -> Chunk? {
        guard let buffer = buffers[partition] else { return nil }
        let count = min(buffer.events.count, batchSize)
        let next = count < buffer.events.count ? buffer.events[buffer.events.startIndex + count].offset : buffer.nextOffset
        return Chunk(partition: partition, firstOffset: buffer.firstOffset, nextOffset: next, events: buffer.events.prefix(count))
    }

    /// The chunk was stored: what is left starts at its end.
    mutating func stored(_ chunk: Chunk, now: ContinuousClock.Instant) {
        guard buffers[chunk.partition]?.firstOffset == chunk.firstOffset, var buffer = buffers.removeValue(forKey: chunk.partition) else { return }
        buffer.events.removeFirst(chunk.events.count)
        // The stored events stay in the slice's storage (with the fetched bytes they share)
        // until it is let go: at once when nothing is left, and once they outnumber the
        // events left, which are then moved to storage of their own.
        if buffer.events.isEmpty {
            buffer.events = []
        } else if buffer.events.startIndex >= buffer.events.count {
            buffer.events = ArraySlice(Array(buffer.events))
        }
        buffer.firstOffset = chunk.nextOffset
        buffer.since = now
        buffers[chunk.partition] = buffer.events.isEmpty && buffer.nextOffset <= buffer.firstOffset ? nil : buffer
    }

    /// Forgets a partition's buffer: it was refused as stale (another consumer wrote the
    /// partition), or the partition was just (re)assigned and will be read from its stored
    /// offset.
    mutating func drop(_ partition: PartitionID) { buffers[partition] = nil }

    /// Forgets everything (a crash).
    mutating func dropAll() { buffers = [:] }
}
