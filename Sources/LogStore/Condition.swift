#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A mutex with a condition variable, for a thread of its own that sleeps until another one
/// hands it work (the producer's sender thread, a `ThreadExecutor`). Async code never waits on
/// it: it suspends on a continuation instead.
///
/// The standard library's `Mutex` has no condition variable, so this one wraps pthreads; a
/// failing pthread call is a programming error (a destroyed or foreign mutex) and traps.
public final class Condition: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>

    public init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        condition = .allocate(capacity: 1)
        condition.initialize(to: pthread_cond_t())
        Self.check(pthread_mutex_init(mutex, nil), "pthread_mutex_init")
        Self.check(pthread_cond_init(condition, nil), "pthread_cond_init")
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    private static func check(_ result: Int32, _ call: StaticString) {
        precondition(result == 0, "\(call) failed with error \(result)")
    }

    /// Runs `body` holding the mutex.
    public func withLock<Result, Failure: Error>(_ body: () throws(Failure) -> Result) throws(Failure) -> Result {
        Self.check(pthread_mutex_lock(mutex), "pthread_mutex_lock")
        defer { Self.check(pthread_mutex_unlock(mutex), "pthread_mutex_unlock") }
        return try body()
    }

    /// Waits for a signal; call only inside `withLock`, in a loop that rechecks its predicate.
    public func wait() { Self.check(pthread_cond_wait(condition, mutex), "pthread_cond_wait") }

    /// Wakes every waiter; call inside `withLock` after changing the state they wait on.
    public func broadcast() { Self.check(pthread_cond_broadcast(condition), "pthread_cond_broadcast") }
}
