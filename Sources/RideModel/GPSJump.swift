/// The rule for a GPS report that cannot be real: reaching it from the previous report would
/// need more than `maxPlausibleSpeedKmh`. The fare meter skips such points and support
/// records them as incidents.
public enum GPSJump {
    public static let maxPlausibleSpeedKmh = 200.0

    /// Whether moving from `previous` to `next` in `elapsedMs` is impossible.
    public static func isJump(from previous: GeoPoint, to next: GeoPoint, elapsedMs: Int64) -> Bool {
        let km = previous.distanceKm(to: next)
        guard km > 0.5 else { return false }
        let hours = Double(max(elapsedMs, 1)) / 3_600_000
        return km / hours > maxPlausibleSpeedKmh
    }
}
