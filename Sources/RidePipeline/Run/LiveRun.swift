import KafkaWire

/// A run as its observers see it while it goes on (`/metrics`): the live state the progress
/// line and the summary read, the log it writes, and its groups.
///
/// Everything here reads live state or asks the log; nothing blocks a caller's thread.
public struct LiveRun: Sendable {
    public let state: RunState
    public let log: any EventLog
    public let configuration: PipelineConfiguration
    public let partitionCount: Int
    let fleets: [GroupName: GroupFleet]

    public var groups: [GroupName] { fleets.keys.sorted { $0.rawValue < $1.rawValue } }

    /// Each consumer of a group with its partitions, counts and state.
    public func consumers(_ group: GroupName) async -> [RunSummary.Consumer] {
        await fleets[group]?.summaries() ?? []
    }
}
