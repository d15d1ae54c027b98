/// Where a run's CPU time went: seconds per `Stage`, and the process's CPU seconds over the
/// same span (all threads, user and system).
///
/// JSON: `{"simulate": 0.41, ..., "commit": 0.12, "stages": 9.8, "process": 10.3,
/// "unattributed": 0.5}` (seconds).
public struct StageBreakdown: Sendable, Equatable, Codable {
    public var seconds: [Stage: Double]
    public var processSeconds: Double

    public init(seconds: [Stage: Double], processSeconds: Double) {
        self.seconds = seconds
        self.processSeconds = processSeconds
    }

    public subscript(stage: Stage) -> Double { seconds[stage] ?? 0 }

    /// The stages added up.
    public var stagesSeconds: Double { Stage.allCases.reduce(0) { $0 + self[$1] } }

    /// Process CPU time charged to no stage (negative when the clocks disagree slightly).
    public var unattributed: Double { processSeconds - stagesSeconds }

    /// The stages' share of the process's CPU time (1: every CPU second is in a stage).
    public var coverage: Double { processSeconds > 0 ? stagesSeconds / processSeconds : 0 }

    private struct DynamicKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: DynamicKey.self)
        for stage in Stage.allCases { try container.encode(self[stage], forKey: DynamicKey(stage.name)) }
        try container.encode(stagesSeconds, forKey: DynamicKey("stages"))
        try container.encode(processSeconds, forKey: DynamicKey("process"))
        try container.encode(unattributed, forKey: DynamicKey("unattributed"))
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: DynamicKey.self)
        var seconds: [Stage: Double] = [:]
        for stage in Stage.allCases { seconds[stage] = try container.decode(Double.self, forKey: DynamicKey(stage.name)) }
        self.init(seconds: seconds, processSeconds: try container.decode(Double.self, forKey: DynamicKey("process")))
    }
}
