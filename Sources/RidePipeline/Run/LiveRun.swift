import KafkaWire

/// A run as its observers see it while it goes on (`/metrics`, the dashboard): the live
/// state the progress line and the summary read, the log it writes, the drivers' positions,
/// and its groups, which `control` changes as a scenario step would.
///
/// Everything here reads live state or asks the log; nothing blocks a caller's thread.
public struct LiveRun: Sendable {
    public let state: RunState
    public let log: any EventLog
    public let configuration: PipelineConfiguration
    public let partitionCount: Int
    public let drivers: DriverPositions
    let fleets: [GroupName: GroupFleet]
    let terminal: Terminal

    public var groups: [GroupName] { fleets.keys.sorted { $0.rawValue < $1.rawValue } }

    /// Each consumer of a group with its partitions, counts and state.
    public func consumers(_ group: GroupName) async -> [RunSummary.Consumer] {
        await fleets[group]?.summaries() ?? []
    }

    /// A group's recorded rebalances, oldest first.
    public func timeline(_ group: GroupName) async -> [RecordedRebalance] {
        await fleets[group]?.timeline() ?? []
    }

    /// Transactions and events a group stored in this run.
    public func stored(_ group: GroupName) async -> (transactions: Int, events: Int) {
        await fleets[group]?.stored() ?? (0, 0)
    }

    /// The last `limit` readable records of a partition (nil: the log cannot tell).
    public func latestRecords(partition: Int, limit: Int) async throws(PipelineError) -> [StoredRecord]? {
        try await log.latestRecords(configuration.topic, partition: PartitionID(Int32(partition)), limit: limit)
    }

    /// Adds, removes or crashes a consumer of a group now, as a scenario step at the current
    /// simulated second would (the timeline explains the rebalance it causes); nil `consumer`
    /// removes or crashes the last running one. Returns what happened; the terminal and the
    /// summary's scenario list say it too.
    public func control(group name: String, action: String, consumer: String?) async throws(ControlError) -> String {
        guard let group = GroupName(rawValue: name), let fleet = fleets[group] else {
            throw .unknownGroup(name, known: groups.map(\.rawValue))
        }
        let step: ScenarioStep.Action
        switch action {
        case "add": step = .addConsumer
        case "remove": step = .removeConsumer
        case "crash": step = .crashConsumer
        default: throw .unknownAction(action)
        }
        let phase = state.snapshot.phase
        guard phase == .starting || phase == .producing else { throw .runOver }
        let done = try await fleet.control(step, consumer: consumer)
        let second = state.snapshot.simulatedMs.map { Int(($0 - configuration.startTime) / 1000) } ?? 0
        state.update { $0.scenario.append("at \(second) s (dashboard): \(done)") }
        terminal.line("dashboard at \(second) s: \(done)")
        return done
    }
}
