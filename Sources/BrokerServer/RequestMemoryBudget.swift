import Synchronization

/// The bytes every connection together may hold in requests not yet answered: frames being
/// received and frames waiting for their connection's request loop (Kafka's
/// `queued.max.request.bytes`).
///
/// A connection reserves a whole frame's size as soon as the frame's 4-byte size prefix
/// arrives, before reading its body, and gives it back once the frame is answered (or the
/// connection closes). When the budget cannot cover a frame, the connection stops reading
/// its socket (TCP then pushes back on the client) and is woken when others give bytes back.
/// Reserving whole frames, never parts, means every reservation can complete, so connections
/// waiting on each other's halves cannot deadlock the budget.
///
/// Memory held by the Kafka port is then at most `limit`, plus, per connection, one socket
/// read in flight and one frame prefix. A frame larger than the limit is accepted only when
/// nothing else is reserved (the configuration keeps `limit` at least the largest frame).
final class RequestMemoryBudget: Sendable {
    let limit: Int

    private struct State {
        var reserved = 0
        var waiters: [UInt64: @Sendable () -> Void] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let state = Mutex(State())

    init(limit: Int) { self.limit = limit }

    /// Bytes reserved now, by every connection.
    var reserved: Int { state.withLock { $0.reserved } }

    /// Reserves `bytes`, or, when they do not fit, registers `wake` to be called (once, from
    /// whichever thread gives bytes back) and returns its token for `cancel`.
    func reserve(_ bytes: Int, orWake wake: @escaping @Sendable () -> Void) -> Reservation {
        state.withLock { state in
            if state.reserved + bytes <= limit || state.reserved == 0 {
                state.reserved += bytes
                return .granted
            }
            state.nextWaiter += 1
            state.waiters[state.nextWaiter] = wake
            return .waiting(state.nextWaiter)
        }
    }

    enum Reservation: Equatable {
        case granted
        case waiting(UInt64)
    }

    /// Forgets a waiter that no longer waits (its connection closed).
    func cancel(_ token: UInt64) { _ = state.withLock { $0.waiters.removeValue(forKey: token) } }

    /// Gives `bytes` back and wakes every waiting connection to try again.
    func release(_ bytes: Int) {
        guard bytes > 0 else { return }
        let woken: [@Sendable () -> Void] = state.withLock { state in
            state.reserved -= bytes
            precondition(state.reserved >= 0, "released more request bytes than were reserved")
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for wake in woken { wake() }
    }
}
