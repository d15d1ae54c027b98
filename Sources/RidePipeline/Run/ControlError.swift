/// Why a control action on a live run (`LiveRun.control`) was refused. The run goes on.
public enum ControlError: Error, Equatable, CustomStringConvertible {
    case unknownGroup(String, known: [String])
    case unknownAction(String)
    case unknownConsumer(group: String, consumer: String, known: [String])
    case notRunning(consumer: String, state: ConsumerState)
    /// Removing or crashing it would leave the group nobody to store the rest.
    case lastRunningConsumer(group: String)
    case tooManyConsumers(group: String, limit: Int)
    /// Production is over: the groups are storing the rest, or the run has finished.
    case runOver
    /// Starting a consumer failed.
    case failed(String)

    public var description: String {
        switch self {
        case let .unknownGroup(group, known):
            return "no group '\(group)' in this run; its groups are \(known.joined(separator: ", "))"
        case let .unknownAction(action):
            return "no action '\(action)'; the actions are add, remove and crash"
        case let .unknownConsumer(group, consumer, known):
            return "group \(group) has no consumer '\(consumer)'; its consumers are \(known.joined(separator: ", "))"
        case let .notRunning(consumer, state):
            return "\(consumer) is not running (it \(state == .crashed ? "crashed" : "left the group"))"
        case let .lastRunningConsumer(group):
            return "\(group) has one running consumer left; without it nobody would store the group's events"
        case let .tooManyConsumers(group, limit):
            return "\(group) has had \(limit) consumers, the most a group may have"
        case .runOver:
            return "production is over: the run's consumers can no longer be changed"
        case let .failed(problem):
            return "the consumer could not start: \(problem)"
        }
    }
}
