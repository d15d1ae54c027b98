import RideModel

/// What the driver simulator needs to know.
public struct SimulatorSettings: Hashable, Sendable {
    public var drivers: Int
    public var seed: UInt64
    /// Simulated milliseconds per tick (each driver reports once per tick).
    public var tickMs: Int64
    /// Simulated wall time of the first tick, ms since the epoch.
    public var startTime: Int64
    public var regions: [Region]

    public init(drivers: Int, seed: UInt64, tickMs: Int64 = 1000, startTime: Int64 = 1_767_600_000_000, regions: [Region] = Region.bengaluru) {
        self.drivers = drivers
        self.seed = seed
        self.tickMs = tickMs
        self.startTime = startTime
        self.regions = regions
    }
}
