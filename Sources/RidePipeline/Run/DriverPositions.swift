import RideModel
import Synchronization

/// Where the drivers are: the live map's data, as the producer last published it.
///
/// The producer publishes a tick's positions at most once per `interval` of wall time (and
/// always its last tick), and only once someone has asked for a frame: watching the map costs
/// an unpaced run a copy of a few thousand small values a few times a second, and a run
/// nobody watches nothing.
public final class DriverPositions: Sendable {
    /// One driver at the end of a tick.
    public struct Driver: Sendable, Equatable {
        public var lat: Double
        public var lon: Double
        public var status: DriverStatus
        /// Index into the configuration's regions.
        public var region: Int
    }

    /// The drivers after one tick, in driver order.
    public struct Frame: Sendable, Equatable {
        /// Simulated time at the end of the tick.
        public var simulatedMs: Int64
        public var drivers: [Driver]
    }

    public let interval: Duration
    private let latest = Mutex<Frame?>(nil)
    private let asked = Atomic<Bool>(false)
    private let regionIndex: [String: Int]

    public init(regions: [String], interval: Duration = .milliseconds(250)) {
        self.interval = interval
        regionIndex = Dictionary(regions.enumerated().map { ($0.element, $0.offset) }, uniquingKeysWith: { first, _ in first })
    }

    /// The last frame published; nil before the first tick (and at the first ask).
    public var frame: Frame? {
        asked.store(true, ordering: .relaxed)
        return latest.withLock { $0 }
    }

    /// Whether anyone reads the frames (the producer publishes only then).
    var wanted: Bool { asked.load(ordering: .relaxed) }

    /// Publishes a tick's events (one per driver, in driver order).
    func publish(_ events: [LocationEvent], simulatedMs: Int64) {
        let drivers = events.map { Driver(lat: $0.lat, lon: $0.lon, status: $0.status, region: regionIndex[$0.region] ?? 0) }
        latest.withLock { $0 = Frame(simulatedMs: simulatedMs, drivers: drivers) }
    }
}
