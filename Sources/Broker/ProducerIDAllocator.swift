import LogStore
import Synchronization

/// Hands out producer ids for InitProducerId.
///
/// Ids must not repeat across broker restarts, or a new producer could be mistaken for an
/// old one's retry. Rather than persist a counter, ids start at the wall-clock time in
/// milliseconds times 1,000 when the broker opens and count up from there: a later start
/// begins above every id an earlier run handed out unless that run gave out more than 1,000
/// ids per millisecond it was up. Epochs start at 0; this broker has no transactions, so an
/// id is never bumped to a new epoch.
public final class ProducerIDAllocator: Sendable {
    private let first: Int64
    private let next: Atomic<Int64>

    init(clock: any WallClock) {
        first = max(1, clock.milliseconds()) * 1_000
        next = Atomic(first)
    }

    /// Whether this broker handed out `id` since it opened. Only such producers are tracked
    /// for de-duplication, so a client cannot fill the tables with made-up ids.
    public func issued(_ id: Int64) -> Bool {
        id >= first && id < next.load(ordering: .relaxed)
    }

    public func allocate() -> (producerID: Int64, epoch: Int16) {
        (next.wrappingAdd(1, ordering: .relaxed).oldValue, 0)
    }
}
