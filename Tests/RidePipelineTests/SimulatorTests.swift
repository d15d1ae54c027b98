import RideModel
import RidePipeline
import Testing

@Suite struct SimulatorTests {
    static func run(seed: UInt64, ticks: Int = 300, drivers: Int = 50) -> [LocationEvent] {
        var simulator = Simulator(settings: SimulatorSettings(drivers: drivers, seed: seed))
        return (0 ..< ticks).flatMap { _ in simulator.step() }
    }

    @Test func sameSeedSameEventsOtherSeedOtherEvents() {
        let first = Self.run(seed: 7)
        #expect(first == Self.run(seed: 7))
        #expect(first != Self.run(seed: 8))
        #expect(first.count == 300 * 50)
    }

    @Test func driversCycleThroughTripsAndStayInTheirRegion() {
        let events = Self.run(seed: 3, ticks: 600)
        let milestones = events.compactMap(\.milestone)
        #expect(milestones.contains(.assigned) && milestones.contains(.pickup) && milestones.contains(.dropoff))
        let regions = Dictionary(grouping: events, by: \.driverId).mapValues { Set($0.map(\.region)) }
        #expect(regions.values.allSatisfy { $0.count == 1 })
        #expect(Set(events.map(\.status)) == Set(DriverStatus.allCases))
        #expect(Set(events.map(\.eventId)).count == events.count, "event ids are unique")
        // A trip's pickup comes before its dropoff, both from the same driver.
        let trips = Dictionary(grouping: events.filter { $0.tripId != nil && $0.milestone != nil }, by: { $0.tripId! })
        for (_, marks) in trips {
            if let pickup = marks.first(where: { $0.milestone == .pickup }), let dropoff = marks.first(where: { $0.milestone == .dropoff }) {
                #expect(pickup.ts < dropoff.ts)
                #expect(pickup.driverId == dropoff.driverId)
            }
        }
    }
}
