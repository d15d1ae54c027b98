import Broker
import Foundation
import KafkaWire

/// Topic and broker settings through the Kafka port: DescribeConfigs, AlterConfigs and
/// IncrementalAlterConfigs. Topic settings are the ones `KafkaTopicSettings` knows; a change is
/// checked whole per resource, so a refused one changes nothing, and an accepted one is
/// written to `topic.json` before it is answered (it survives a restart).
extension RequestDispatcher {
    func alterConfigs(_ request: AlterConfigs.Request) -> [AlterConfigs.Result] {
        var counts: [String: Int] = [:]
        for resource in request.resources { counts["\(resource.type)/\(resource.name)", default: 0] += 1 }
        return request.resources.map { resource in
            func result(_ code: ErrorCode, _ message: String? = nil) -> AlterConfigs.Result {
                AlterConfigs.Result(error: code, message: message, type: resource.type, name: resource.name)
            }
            guard counts["\(resource.type)/\(resource.name)"] == 1 else {
                return result(.invalidRequest, "resource '\(resource.name)' appears more than once in the request")
            }
            switch DescribeConfigs.ResourceType(rawValue: resource.type) {
            case .topic:
                do throws(BrokerError) {
                    try broker.reconfigureTopic(resource.name, validateOnly: request.validateOnly) { (current) throws(BrokerError) in
                        try changed(current, by: resource.changes, incremental: request.incremental, topic: resource.name)
                    }
                    return result(.noError)
                } catch {
                    return result(error.code, error.message)
                }
            case .broker:
                return result(
                    .invalidConfig,
                    "broker settings cannot be changed while it runs: they come from its command line and configuration file"
                )
            default:
                return result(.invalidRequest, "resource type \(resource.type) is not supported (topics: 2, brokers: 4)")
            }
        }
    }

    /// A topic's settings after AlterConfigs (every override replaced by those given) or
    /// IncrementalAlterConfigs (only the named ones changed).
    private func changed(
        _ current: TopicConfiguration, by changes: [AlterConfigs.Change], incremental: Bool, topic: String
    ) throws(BrokerError) -> TopicConfiguration {
        var updated = incremental ? current : TopicConfiguration(partitions: current.partitions)
        var seen: Set<String> = []
        for change in changes {
            guard seen.insert(change.name).inserted else {
                throw BrokerError(.invalidRequest, "topic '\(topic)': \(change.name) appears more than once")
            }
            guard let operation = AlterConfigs.Operation(rawValue: change.operation) else {
                throw BrokerError(.invalidRequest, "topic '\(topic)': unknown config operation \(change.operation) for \(change.name)")
            }
            do throws(KafkaTopicSettings.Problem) {
                switch operation {
                case .set:
                    guard let value = change.value else { throw KafkaTopicSettings.Problem(message: "\(change.name) needs a value") }
                    try KafkaTopicSettings.set(change.name, to: value, in: &updated)
                case .delete:
                    try KafkaTopicSettings.clear(change.name, in: &updated)
                case .append, .subtract:
                    guard KafkaTopicSettings.isList(change.name) else {
                        throw KafkaTopicSettings.Problem(message: "\(change.name) is not a list: it can be set or deleted, not appended to or subtracted from")
                    }
                    // The list is always [delete]: appending delete leaves it so, anything else cannot be.
                    guard operation == .append, change.value?.trimmingCharacters(in: .whitespaces) == "delete" else {
                        throw KafkaTopicSettings.Problem(message: "\(change.name) can only be 'delete', the one policy this broker has")
                    }
                }
            } catch {
                throw BrokerError(.invalidConfig, "topic '\(topic)': \(error.message)")
            }
        }
        return updated
    }

    func describeConfigs(_ resource: DescribeConfigs.Resource) -> DescribeConfigs.Result {
        func result(_ entries: [DescribeConfigs.Entry]) -> DescribeConfigs.Result {
            let wanted = resource.keys.map(Set.init)
            return DescribeConfigs.Result(
                error: .noError, message: nil, type: resource.type, name: resource.name,
                entries: entries.filter { wanted?.contains($0.name) ?? true }
            )
        }
        func failure(_ code: ErrorCode, _ message: String) -> DescribeConfigs.Result {
            DescribeConfigs.Result(error: code, message: message, type: resource.type, name: resource.name, entries: [])
        }
        switch DescribeConfigs.ResourceType(rawValue: resource.type) {
        case .topic:
            do {
                let topic = try broker.describeTopic(resource.name)
                return result(KafkaTopicSettings.entries(topic.configuration, broker: broker.configuration))
            } catch {
                return failure(error.code, error.message)
            }
        case .broker:
            guard resource.name.isEmpty || resource.name == String(configuration.nodeID) else {
                return failure(.invalidRequest, "there is no broker '\(resource.name)'; this broker's id is \(configuration.nodeID)")
            }
            return result(KafkaConfigNames.brokerEntries(
                broker.configuration, server: configuration, boundPort: boundPort.value > 0 ? boundPort.value : configuration.port, advertised: advertised
            ))
        default:
            return failure(.invalidRequest, "resource type \(resource.type) is not supported (topics: 2, brokers: 4)")
        }
    }
}
