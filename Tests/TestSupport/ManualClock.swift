import LogStore
import Synchronization

/// A wall clock that moves only when a test advances it.
public final class ManualClock: WallClock {
    private let now: Mutex<Int64>

    public init(_ start: Int64 = 1_700_000_000_000) { now = Mutex(start) }

    public func milliseconds() -> Int64 { now.withLock { $0 } }

    public func advance(by milliseconds: Int64) { now.withLock { $0 += milliseconds } }
}
