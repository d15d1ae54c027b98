/// Where a driver is in the trip cycle: offline → available → en route to pickup → on trip →
/// available.
public enum DriverStatus: String, Hashable, Sendable, CaseIterable {
    case offline
    case available
    case enRoute = "en_route"
    case onTrip = "on_trip"
}

/// A trip milestone carried by the event of the tick it happened in.
public enum TripMilestone: String, Hashable, Sendable, CaseIterable {
    /// A rider was matched with the driver (status becomes en route).
    case assigned
    /// The rider got in: the trip (and its fare meter) starts.
    case pickup
    /// The rider got out: the trip is complete.
    case dropoff
}
