import RideModel

/// What an earlier, interrupted run already put in the log: per driver, the highest event
/// sequence number (`eventId` is `<sequence>-<driver>`, see `Simulator.eventID`). `--resume` replays the seeded
/// simulator from the start and produces only the events after these, so nothing is produced
/// twice and nothing is missing.
struct ProducedEvents {
    private(set) var lastSequence: [String: Int] = [:]
    private(set) var count = 0

    /// Reads every partition of `topic` from its log start.
    init(log: any EventLog, topic: String) async throws(PipelineError) {
        var lastSequence: [String: Int] = [:]
        var count = 0
        try await log.forEachStoredValue(topic) { value in
            guard let event = try? LocationEvent.decode(value), let sequence = Self.sequence(of: event) else { return }
            lastSequence[event.driverId] = max(lastSequence[event.driverId] ?? 0, sequence)
            count += 1
        }
        self.lastSequence = lastSequence
        self.count = count
    }

    static func sequence(of event: LocationEvent) -> Int? {
        Simulator.sequence(ofEventID: event.eventId)
    }

    /// Whether `event` is already in the log.
    func contains(_ event: LocationEvent) -> Bool {
        guard let last = lastSequence[event.driverId], let sequence = Self.sequence(of: event) else { return false }
        return sequence <= last
    }
}
