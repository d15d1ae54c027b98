/// One group's lag over time, bounded: at most `capacity` points however long the run. When
/// it is full, every other point is dropped and from then on only every second sample is
/// kept (then every fourth, ...), so the series always spans the whole run at an even step.
public struct LagHistory: Sendable, Equatable {
    public static let capacity = 600

    /// Parallel arrays: at simulated `second`, the group's total lag in events and the most
    /// simulated seconds any partition was behind (nil: not known yet).
    public struct Series: Codable, Sendable, Equatable {
        public var second: [Double] = []
        public var lag: [Int64] = []
        public var secondsBehind: [Double?] = []

        public var count: Int { second.count }
    }

    public private(set) var series = Series()
    /// Samples per kept point.
    public private(set) var stride = 1
    private var sinceKept = 0
    private let capacity: Int

    public init(capacity: Int = LagHistory.capacity) {
        self.capacity = max(2, capacity & ~1)  // even: halving an odd count keeps the newest point
    }

    /// Adds a sample, kept or not (see the type's notes); `keep` keeps it anyway (the run's
    /// final state, which must not be skipped).
    public mutating func append(second: Double, lag: Int64, secondsBehind: Double?, keep: Bool = false) {
        sinceKept += 1
        guard keep || sinceKept >= stride || series.count == 0 else { return }
        sinceKept = 0
        series.second.append(second)
        series.lag.append(lag)
        series.secondsBehind.append(secondsBehind)
        guard series.count > capacity else { return }
        func everyOther<T>(_ values: [T]) -> [T] { values.enumerated().filter { $0.offset % 2 == 0 }.map(\.element) }
        series.second = everyOther(series.second)
        series.lag = everyOther(series.lag)
        series.secondsBehind = everyOther(series.secondsBehind)
        stride *= 2
    }
}
