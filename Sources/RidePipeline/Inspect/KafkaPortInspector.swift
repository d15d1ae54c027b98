import KafkaAdmin
import KafkaWire

/// `topics` and `groups` through a Kafka port (`--bootstrap`, or the port of the process
/// holding a data directory): the same views as from a stopped directory, with what only a
/// live broker knows (members, their hosts and client ids, the coordinator's state and
/// assignor) and without what only the files know (segment files, a sink's STORED offset).
public struct KafkaPortInspector {
    let client: BootstrapClient

    public init(bootstrap: String, timeoutMs: Int32 = 10_000) throws(KafkaAdminError) {
        client = try BootstrapClient(bootstrap: bootstrap, timeoutMs: timeoutMs)
    }

    public var address: String { client.bootstrap }

    // MARK: - Topics

    /// Every topic but Kafka's internal ones, or the one named.
    public func topicViews(_ name: String? = nil) throws -> [TopicView] {
        let metadata = try client.metadata()
        if let name, !metadata.topics.contains(where: { $0.name == name && $0.error != .unknownTopicOrPartition }) {
            throw InspectionError.noSuchTopic(name, known: metadata.topics.filter { !$0.isInternal }.map(\.name).sorted())
        }
        var views: [TopicView] = []
        for topic in metadata.topics.sorted(by: { $0.name < $1.name }) where name.map({ $0 == topic.name }) ?? !topic.isInternal {
            // A topic with an error (no leader yet, say) is shown with the partitions it reports.
            if name != nil, topic.error != .noError, topic.leaders.isEmpty {
                throw KafkaAdminError.kafka(address: client.bootstrap, api: "Metadata", code: topic.error, message: "topic '\(topic.name)'")
            }
            let partitions = topic.leaders.keys.sorted().map { TopicPartition(topic.name, PartitionID($0)) }
            let starts = try client.offsets(partitions, earliest: true), ends = try client.offsets(partitions)
            let configs = try Self.unlessUnsupported(try client.topicConfigs(topic.name), otherwise: []).map {
                TopicView.Setting(name: $0.name, value: $0.value, source: TopicView.sourceName($0.source), readOnly: $0.readOnly)
            }
            views.append(TopicView(
                name: topic.name,
                partitions: partitions.map { partition in
                    TopicView.Partition(
                        partition: partition.partition.rawValue, logStartOffset: starts[partition] ?? -1, logEndOffset: ends[partition] ?? -1
                    )
                },
                configs: configs
            ))
        }
        return views
    }

    // MARK: - Groups

    /// Every group the brokers know, or the one named (`InspectionError.noSuchGroup` when no
    /// broker knows it: Dead, with no committed offsets).
    public func groupViews(_ name: String? = nil) throws -> [GroupView] {
        let ids = try name.map { [$0] } ?? client.listGroups().map(\.id)
        var views: [GroupView] = []
        for id in ids {
            // A broker without DescribeGroups (librdkafka's mock cluster) still has offsets.
            let unknown = DescribedGroup(error: .noError, groupID: id, state: "Unknown", protocolType: "", protocolName: "", members: [])
            let described = try Self.unlessUnsupported(try client.describeGroup(id), otherwise: unknown)
            let committed = try client.committedOffsets(id)
            if (described.state == "Dead" || described.state == "Unknown") && committed.isEmpty {
                guard name == nil else { throw InspectionError.noSuchGroup(id, known: try Self.unlessUnsupported(try client.listGroups().map(\.id), otherwise: [])) }
                continue
            }
            var owners: [TopicPartition: DescribedGroup.Member] = [:]
            for member in described.members { for partition in member.assignment { owners[partition] = member } }
            let partitions = Set(committed.keys).union(owners.keys).sorted()
            let ends = try client.offsets(partitions)
            views.append(GroupView(
                group: id, state: described.state, generation: nil,
                assignmentStrategy: described.protocolName.isEmpty ? nil : described.protocolName,
                members: described.members.map { member in
                    GroupView.Member(
                        consumerID: member.memberID, host: member.clientHost, clientID: member.clientID,
                        assignment: member.assignment.sorted().map { "\($0.topic)-\($0.partition.rawValue)" }
                    )
                },
                offsets: partitions.map { partition in
                    let owner = owners[partition]
                    return GroupView.PartitionOffsets(
                        topic: partition.topic, partition: partition.partition.rawValue, currentOffset: committed[partition],
                        logEndOffset: ends[partition], consumerID: owner?.memberID, host: owner?.clientHost, clientID: owner?.clientID
                    )
                }
            ))
        }
        return views
    }

    /// `work`'s result, or `otherwise` when the broker serves no version of the API asked.
    static func unlessUnsupported<Result>(_ work: @autoclosure () throws -> Result, otherwise: Result) throws -> Result {
        do {
            return try work()
        } catch KafkaAdminError.unsupported {
            return otherwise
        }
    }
}

extension KafkaPortInspector {
    /// `groups reset-offsets` through a Kafka port: refused while the group has members, as
    /// Kafka's tool refuses.
    public func resetOffsets(group: String, topics: [TopicSelection]?, to target: OffsetResetTarget, execute: Bool) throws -> OffsetResetPlan {
        try OffsetResetPlan.make(group: group, topics: topics, to: target, execute: execute, source: PortResetSource(client: client))
    }

    /// `groups delete` through a Kafka port (DeleteGroups): refused for a group with members.
    public func deleteGroup(_ group: String) throws { try client.deleteGroup(group) }
}

/// A live broker, for `OffsetResetPlan`.
struct PortResetSource: OffsetResetSource {
    let client: BootstrapClient

    func partitions(of topic: String) throws -> [Int32] {
        let found = try client.metadata(topics: [topic]).topics.first { $0.name == topic }
        guard let found, found.error == .noError else {
            throw InspectionError.noSuchTopic(topic, known: try client.metadata().topics.filter { !$0.isInternal }.map(\.name).sorted())
        }
        return found.leaders.keys.sorted()
    }

    func committed(_ group: String) throws -> [TopicPartition: Int64] { try client.committedOffsets(group) }

    func activity(_ group: String) throws -> (state: String, members: Int) {
        let described = try KafkaPortInspector.unlessUnsupported(
            try client.describeGroup(group),
            otherwise: DescribedGroup(error: .noError, groupID: group, state: "Unknown", protocolType: "", protocolName: "", members: [])
        )
        return (described.state, described.members.count)
    }

    func bounds(_ partitions: [TopicPartition]) throws -> [TopicPartition: (start: Int64, end: Int64)] {
        let starts = try client.offsets(partitions, at: .earliest), ends = try client.offsets(partitions, at: .latest)
        var bounds: [TopicPartition: (start: Int64, end: Int64)] = [:]
        for partition in partitions { bounds[partition] = (starts[partition] ?? 0, ends[partition] ?? 0) }
        return bounds
    }

    func offsets(atOrAfter time: Int64, _ partitions: [TopicPartition]) throws -> [TopicPartition: Int64] {
        try client.offsets(partitions, at: .timestamp(time))
    }

    func commit(_ group: String, _ offsets: [TopicPartition: Int64]) throws { try client.commitOffsets(group, offsets) }
}
