import RideModel

/// The property tests' seeded generator: the simulator's own SplitMix64.
public typealias SeededGenerator = SplitMix64

/// Polls `condition` until it holds or `timeoutMs` of real time pass; returns whether it held.
/// For tests of concurrent parts (consumers in a group) where the wait is for an event, not
/// for a fixed time.
public func eventually(timeoutMs: Int = 20_000, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now + .milliseconds(timeoutMs)
    while clock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return try await condition()
}
