import LogStore

/// A one-shot wake-up for a long-polling fetch: fired by the first append to any partition it
/// is registered with, by its timeout, or by cancellation. Firing before `wait()` is not lost.
final class AppendWaiter: @unchecked Sendable {
    private let lock = Lock()
    private var continuation: CheckedContinuation<Void, Never>?
    private var fired = false

    func fire() {
        let waiting: CheckedContinuation<Void, Never>? = lock.withLock {
            if fired { return nil }
            fired = true
            defer { continuation = nil }
            return continuation
        }
        waiting?.resume()
    }

    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow: Bool = lock.withLock {
                if fired { return true }
                self.continuation = continuation
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }
}
