import RideModel

/// One simulated driver: where it is, what it is doing, and its own random stream.
struct DriverState {
    struct Trip {
        var id: String
        var riderID: String
        var pickup: GeoPoint
        var dropoff: GeoPoint
    }

    let index: Int
    let id: String
    let region: Int
    var position: GeoPoint
    var status: DriverStatus
    var heading: Double
    var speedKmh = 0.0
    var trip: Trip?
    var tripCount = 0
    var sequence = 0
    /// Ticks left in a stop (traffic, a long wait).
    var stoppedTicks = 0
    /// Ticks left in a speeding episode.
    var speedingTicks = 0
    /// Set for one tick after a dropoff: the next tick starts the driver's next phase.
    var justDroppedOff = false
    var random: SplitMix64

    init(index: Int, seed: UInt64, regionCount: Int, box: GeoBox) {
        self.index = index
        id = "D" + String(repeating: "0", count: max(0, 5 - String(index + 1).count)) + String(index + 1)
        region = index % regionCount
        random = SplitMix64(seed: seed ^ (UInt64(index + 1) &* 0x9E37_79B9_7F4A_7C15))
        position = GeoPoint(lat: random.uniform(box.minLat ... box.maxLat), lon: random.uniform(box.minLon ... box.maxLon))
        status = random.chance(0.7) ? .available : .offline
        heading = random.uniform(0 ... 360)
    }

    /// A random point in the box, at least `minKm` from `from` when the box allows.
    mutating func point(in box: GeoBox, awayFrom from: GeoPoint, minKm: Double, maxKm: Double) -> GeoPoint {
        var candidate = from
        for _ in 0 ..< 8 {
            let bearing = random.uniform(0 ... 360)
            candidate = box.clamped(from.moved(km: random.uniform(minKm ... maxKm), bearing: bearing))
            if candidate.distanceKm(to: from) >= minKm { break }
        }
        return candidate
    }
}
