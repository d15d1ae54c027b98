/// The scenario as a run will play it, checked before anything is written.
///
/// Steps are applied in order at their simulated second; a step at or after the run's last
/// tick never comes and is skipped (reported at the start). A step that would leave a group
/// with no running consumer is refused: that group could never store the rest of the run, so
/// the run would do all its work and fail at the end.
public struct ScenarioPlan: Hashable, Sendable {
    /// The steps the run applies, in order.
    public var steps: [ScenarioStep]
    /// Steps after the run's end.
    public var skipped: [ScenarioStep]

    /// Plans `configuration.scenario` for its consumer counts and duration.
    /// - Parameters:
    ///   - file: the configuration file, for the error.
    ///   - consumersSource: where each group's count came from, for the error ("--consumers
    ///     fare=1" or "groups.fare.consumers").
    public static func make(
        _ configuration: PipelineConfiguration, file: String, consumersSource: (GroupName) -> String = { "groups.\($0.rawValue).consumers" }
    ) throws(ConfigError) -> ScenarioPlan {
        let lastSecond = configuration.ticks > 0 ? configuration.second(ofTick: configuration.ticks - 1) : -1
        var running = configuration.consumers
        var plan = ScenarioPlan(steps: [], skipped: [])
        for (index, step) in configuration.scenario.enumerated() {
            guard step.atSeconds <= lastSecond else {
                plan.skipped.append(step)
                continue
            }
            let count = running[step.group] ?? 1
            switch step.action {
            case .addConsumer:
                running[step.group] = count + 1
            case .removeConsumer, .crashConsumer:
                guard count > 1 else {
                    let configured = configuration.consumers[step.group] ?? 1
                    throw ConfigError(
                        file: file, line: step.line, key: "scenario[\(index)]",
                        problem: "\(step.description) would leave group \(step.group.rawValue) with no running consumer "
                            + "(it has \(count) then; \(consumersSource(step.group)) gives \(configured)); "
                            + "add consumers or remove the step"
                    )
                }
                running[step.group] = count - 1
            }
            plan.steps.append(step)
        }
        return plan
    }

    /// Lines for the start of a run about the skipped steps.
    public func skippedLines(durationSeconds: Int) -> [String] {
        skipped.map { "scenario: \($0.description) is after the run's end (\(durationSeconds) s) and is skipped" }
    }
}
