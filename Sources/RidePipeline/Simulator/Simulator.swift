import RideModel

/// The seeded driver simulator: every tick, every driver moves and reports one
/// `LocationEvent`.
///
/// Drivers cycle offline → available → en route to a pickup → on trip → available, within
/// their home region. Each driver draws from its own `SplitMix64` stream seeded from the run's
/// seed and its index, and regions' surge comes from the previous tick's counts, so the same
/// settings always give the same events. A few anomalies are injected on purpose for the
/// support group to find: GPS glitches (one report kilometres off), long stops during a trip,
/// and speeding.
public struct Simulator: Sendable {
    public let settings: SimulatorSettings
    public private(set) var tick = 0
    private var drivers: [DriverState]
    private var surge: [Double]

    /// Chance per tick that an available driver gets a ride request, before surge.
    static let requestChance = 0.006
    static let arrivalKm = 0.03

    public init(settings: SimulatorSettings) {
        self.settings = settings
        drivers = (0 ..< settings.drivers).map { index in
            DriverState(
                index: index, seed: settings.seed, regionCount: settings.regions.count,
                box: settings.regions[index % settings.regions.count].box
            )
        }
        surge = Array(repeating: 1, count: settings.regions.count)
    }

    /// Simulated time of the next tick, ms since the epoch.
    public var time: Int64 { settings.startTime + Int64(tick) * settings.tickMs }

    /// Advances one tick and returns every driver's event, in driver order.
    public mutating func step() -> [LocationEvent] {
        let now = time
        let hours = Double(settings.tickMs) / 3_600_000
        var events: [LocationEvent] = []
        events.reserveCapacity(drivers.count)
        // Move the drivers out while they are advanced, so each is updated in place.
        var moving: [DriverState] = []
        swap(&moving, &drivers)
        for index in moving.indices {
            events.append(advance(&moving[index], now: now, hours: hours))
        }
        swap(&moving, &drivers)
        updateSurge()
        tick += 1
        return events
    }

    /// Surge per region: 1.0 while free drivers outnumber busy ones, then +0.25 per step of
    /// busy-to-free ratio, at most 3.0.
    private mutating func updateSurge() {
        var busy = Array(repeating: 0, count: surge.count)
        var free = Array(repeating: 0, count: surge.count)
        for driver in drivers {
            switch driver.status {
            case .enRoute, .onTrip: busy[driver.region] += 1
            case .available: free[driver.region] += 1
            case .offline: break
            }
        }
        for region in surge.indices {
            let ratio = Double(busy[region]) / Double(free[region] + 1)
            surge[region] = min(3, 1 + 0.25 * (max(0, ratio - 1) * 2).rounded(.down))
        }
    }

    private func box(_ driver: DriverState) -> GeoBox { settings.regions[driver.region].box }

    private func advance(_ driver: inout DriverState, now: Int64, hours: Double) -> LocationEvent {
        var milestone: TripMilestone?
        let box = box(driver)
        if driver.justDroppedOff {
            driver.justDroppedOff = false
            driver.trip = nil
            driver.status = driver.random.chance(0.1) ? .offline : .available
        }
        switch driver.status {
        case .offline:
            driver.speedKmh = 0
            if driver.random.chance(0.01) { driver.status = .available }
        case .available:
            driver.heading = (driver.heading + driver.random.uniform(-20 ... 20)).truncatingRemainder(dividingBy: 360)
            driver.speedKmh = driver.random.uniform(12 ... 30)
            cruise(&driver, box: box, hours: hours)
            if driver.random.chance(Self.requestChance * surge[driver.region]) {
                driver.tripCount += 1
                let suffix = "\(driver.id.dropFirst())-\(driver.tripCount)"
                let pickup = driver.point(in: box, awayFrom: driver.position, minKm: 0.2, maxKm: 1.5)
                let dropoff = driver.point(in: box, awayFrom: pickup, minKm: 1.0, maxKm: 4.0)
                driver.trip = DriverState.Trip(id: "T" + suffix, riderID: "R" + suffix, pickup: pickup, dropoff: dropoff)
                driver.status = .enRoute
                milestone = .assigned
            }
        case .enRoute:
            driver.speedKmh = driver.random.uniform(25 ... 40)
            if moveToward(&driver, driver.trip!.pickup, hours: hours) {
                driver.status = .onTrip
                milestone = .pickup
            }
        case .onTrip:
            if driver.stoppedTicks > 0 {
                driver.stoppedTicks -= 1
                driver.speedKmh = 0
            } else if driver.random.chance(0.01) {
                driver.stoppedTicks = Int(driver.random.uniform(5 ... 40))
                driver.speedKmh = 0
            } else if driver.random.chance(0.0004) {
                driver.stoppedTicks = Int(driver.random.uniform(150 ... 300))
                driver.speedKmh = 0
            } else {
                if driver.speedingTicks > 0 {
                    driver.speedingTicks -= 1
                } else if driver.random.chance(0.001) {
                    driver.speedingTicks = Int(driver.random.uniform(10 ... 30))
                }
                driver.speedKmh = driver.speedingTicks > 0 ? driver.random.uniform(95 ... 120) : driver.random.uniform(20 ... 50)
                if moveToward(&driver, driver.trip!.dropoff, hours: hours) {
                    milestone = .dropoff
                    driver.justDroppedOff = true
                }
            }
        }
        var reported = driver.position
        if driver.status != .offline && driver.random.chance(0.0003) {
            reported = driver.position.moved(km: driver.random.uniform(3 ... 5), bearing: driver.random.uniform(0 ... 360))
        }
        driver.sequence += 1
        return LocationEvent(
            eventId: Self.eventID(sequence: driver.sequence, driver: driver.id), driverId: driver.id, region: settings.regions[driver.region].name,
            lat: reported.lat, lon: reported.lon, speedKmh: driver.speedKmh, status: driver.status,
            tripId: driver.trip?.id, riderId: driver.trip?.riderID, milestone: milestone,
            surge: surge[driver.region], ts: now
        ).rounded
    }

    /// An event id: the driver's sequence number, zero-padded to 7 digits, then the driver id
    /// (`0000017-D00042`). Ids are unique, and they sort by time before driver, like
    /// time-ordered ids (ULIDs, Snowflake ids): the analytics table's unique index then grows at
    /// its end instead of at random places, which keeps inserts fast as the table grows.
    static func eventID(sequence: Int, driver: String) -> String {
        let digits = String(sequence)
        return String(repeating: "0", count: max(0, 7 - digits.count)) + digits + "-" + driver
    }

    /// The sequence number in an event id made by `eventID`.
    static func sequence(ofEventID id: String) -> Int? {
        guard let dash = id.firstIndex(of: "-") else { return nil }
        return Int(id[..<dash])
    }

    /// Moves along the heading, turning back towards the centre at the region's edge.
    private func cruise(_ driver: inout DriverState, box: GeoBox, hours: Double) {
        var next = driver.position.moved(km: driver.speedKmh * hours, bearing: driver.heading)
        if !box.contains(next) {
            driver.heading = driver.position.bearing(to: box.center)
            next = box.clamped(driver.position.moved(km: driver.speedKmh * hours, bearing: driver.heading))
        }
        driver.position = next
    }

    /// Moves towards `target`; true on arrival.
    private func moveToward(_ driver: inout DriverState, _ target: GeoPoint, hours: Double) -> Bool {
        let remaining = driver.position.distanceKm(to: target)
        let step = driver.speedKmh * hours
        if remaining <= max(step, Self.arrivalKm) {
            driver.position = target
            return true
        }
        driver.heading = driver.position.bearing(to: target)
        driver.position = driver.position.moved(km: step, bearing: driver.heading)
        return false
    }
}
