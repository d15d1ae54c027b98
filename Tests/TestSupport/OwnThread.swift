import Foundation

/// Runs `body` on a thread of its own and awaits its result, for test code that blocks
/// (librdkafka's polls and flushes wait on their own clocks): blocking a thread of the
/// concurrency pool, which has as many threads as cores, would stall every other test.
public func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread {
            continuation.resume(with: Result { try body() })
        }
    }
}
