import Synchronization

/// A mutual-exclusion lock for state shared between threads, over the standard library's
/// `Mutex`.
///
/// Used where the guarded state is spread over several stored properties of a class (a log's
/// segments, sizes and flush marks) and work must stay synchronous (file appends on the hot
/// path), so that an actor hop per call would cost more than the work itself. Where the state
/// is one value, prefer `Mutex<Value>` holding it.
public final class Lock: Sendable {
    @usableFromInline let mutex = Mutex(())

    public init() {}

    /// Runs `body` holding the lock. Inlinable, so that callers in other modules get it
    /// specialized for their closure (it is on the hot path of every append).
    @inlinable
    public func withLock<Result, Failure: Error>(_ body: () throws(Failure) -> Result) throws(Failure) -> Result {
        try mutex.withLock { (_) throws(Failure) -> Result in try body() }
    }
}
