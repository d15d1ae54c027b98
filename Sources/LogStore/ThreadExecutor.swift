import Foundation
import Synchronization

/// A serial executor that runs its jobs in order on one thread of its own, never on a thread
/// of Swift's cooperative pool.
///
/// The pool has one thread per core (two on a small machine); a job that blocks on a file, a
/// SQLite lock or an fsync would hold one of them and starve every other task. Work that
/// blocks goes here instead: an actor that owns a SQLite connection uses it as its executor
/// (`unownedExecutor`), as GRDB keeps each connection on a dispatch queue of its own, and
/// plain blocking calls go through `perform`.
///
/// The thread lives as long as the executor: it ends after the last queued job once the
/// executor is released (an actor holds its executor, and every queued job holds its actor).
public final class ThreadExecutor: SerialExecutor, @unchecked Sendable {
    /// One unit of work: an actor's job, or a closure from `perform`.
    private enum Work {
        case job(UnownedJob, UnownedSerialExecutor)
        case closure(() -> Void)
    }

    /// The queue, shared with the thread, which must not keep the executor alive.
    private final class Queue: @unchecked Sendable {
        let condition = Condition()
        var items: [Work] = []
        var head = 0
        var stopping = false

        func push(_ work: Work) {
            condition.withLock {
                items.append(work)
                condition.broadcast()
            }
        }

        /// The next item, or nil once stopping and empty.
        func pop() -> Work? {
            condition.withLock {
                while head == items.count && !stopping { condition.wait() }
                guard head < items.count else { return nil }
                let work = items[head]
                head += 1
                if head == items.count {
                    items.removeAll(keepingCapacity: true)
                    head = 0
                }
                return work
            }
        }
    }

    public let name: String
    private let queue = Queue()

    /// Starts the thread, named `name` (shown by debuggers and `top -H`).
    public init(name: String) {
        self.name = name
        let queue = queue
        let thread = Thread {
            while let work = queue.pop() {
                switch work {
                case let .job(job, executor): job.runSynchronously(on: executor)
                case let .closure(body): body()
                }
            }
        }
        thread.name = name
        thread.start()
    }

    deinit {
        queue.condition.withLock {
            queue.stopping = true
            queue.condition.broadcast()
        }
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        queue.push(.job(UnownedJob(job), asUnownedSerialExecutor()))
    }

    /// Queues a blocking `body` now, in the caller's order (a caller holding an actor gets the
    /// actor's order), and returns a handle whose `value` waits for its result. Use it where
    /// the order of the work matters more than when it is awaited.
    public func schedule<Result: Sendable, Failure: Error>(_ body: @escaping @Sendable () throws(Failure) -> Result) -> Scheduled<Result, Failure> {
        let scheduled = Scheduled<Result, Failure>()
        queue.push(.closure {
            do throws(Failure) {
                scheduled.finish(.success(try body()))
            } catch {
                scheduled.finish(.failure(error))
            }
        })
        return scheduled
    }

    /// Work queued by `schedule`: its result once done.
    public final class Scheduled<Value: Sendable, Failure: Error>: Sendable {
        private let state = Mutex<(result: Swift.Result<Value, Failure>?, waiter: CheckedContinuation<Swift.Result<Value, Failure>, Never>?)>((nil, nil))

        fileprivate func finish(_ result: Swift.Result<Value, Failure>) {
            let waiter = state.withLock { state in
                state.result = result
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: result)
        }

        /// The result, once the work has run.
        public var value: Value {
            get async throws(Failure) {
                let result: Swift.Result<Value, Failure> = await withCheckedContinuation { continuation in
                    let done = state.withLock { state -> Swift.Result<Value, Failure>? in
                        if let result = state.result { return result }
                        state.waiter = continuation
                        return nil
                    }
                    if let done { continuation.resume(returning: done) }
                }
                return try result.get()
            }
        }
    }

    /// Runs a blocking `body` on this executor's thread, after the work queued before it, and
    /// returns its result; the calling task suspends meanwhile instead of blocking a thread.
    public func perform<Result: Sendable, Failure: Error>(_ body: @escaping @Sendable () throws(Failure) -> Result) async throws(Failure) -> Result {
        try await schedule(body).value
    }
}
