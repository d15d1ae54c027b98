import Broker
import Groups
import KafkaWire
import Logging

extension RequestDispatcher {
    /// The administration APIs and InitProducerId. Returns nil for other APIs.
    func respondToAdminRequest(_ header: RequestHeader, _ raw: UnsafeRawBufferPointer) async throws(WireError) -> [UInt8]? {
        let version = header.apiVersion
        switch header.apiKey {
        case .createTopics:
            return CreateTopics.responseBody(try CreateTopics.Request.decode(raw).topicsResults(self))
        case .deleteTopics:
            let request = try DeleteTopics.Request.decode(raw)
            return DeleteTopics.responseBody(version: version, request.names.map(deleteTopic))
        case .createPartitions:
            let request = try CreatePartitions.Request.decode(raw)
            return CreatePartitions.responseBody(request.topics.map { addPartitions($0, validateOnly: request.validateOnly) })
        case .listGroups:
            let wanted = Set(try ListGroups.decodeStatesFilter(raw, version: version).map { $0.lowercased() })
            let groups = await broker.coordinator.listGroups().filter { wanted.isEmpty || wanted.contains($0.state.rawValue.lowercased()) }
            return ListGroups.responseBody(version: version, groups: groups.map { ($0.groupID, $0.protocolType, $0.state.rawValue) })
        case .describeGroups:
            let request = try DescribeGroups.Request.decode(raw, version: version)
            var groups: [DescribeGroups.Group] = []
            for id in request.groups { groups.append(await describeGroup(id)) }
            return DescribeGroups.responseBody(version: version, groups: groups)
        case .describeConfigs:
            let request = try DescribeConfigs.Request.decode(raw, version: version)
            return DescribeConfigs.responseBody(
                version: version, includeSynonyms: request.includeSynonyms, results: request.resources.map(describeConfigs)
            )
        case .alterConfigs, .incrementalAlterConfigs:
            let request = try AlterConfigs.Request.decode(raw, incremental: header.apiKey == .incrementalAlterConfigs)
            return AlterConfigs.responseBody(alterConfigs(request))
        case .deleteRecords:
            return DeleteRecords.responseBody(deleteRecords(try DeleteRecords.Request.decode(raw)))
        case .deleteGroups:
            // A name given twice is answered once, as Kafka does.
            var seen: Set<String> = []
            let groups = try DeleteGroups.decodeRequest(raw).filter { seen.insert($0).inserted }
            return DeleteGroups.responseBody(await broker.coordinator.deleteGroups(groups))
        case .offsetDelete:
            let request = try OffsetDelete.Request.decode(raw)
            // Partitions of topics that do not exist are UNKNOWN_TOPIC_OR_PARTITION, as in Kafka.
            func exists(_ topic: String, _ partition: Int32) -> Bool { ((try? broker.partitionCount(topic)) ?? 0) > Int(partition) && partition >= 0 }
            let partitions = request.topics.flatMap { topic in
                topic.partitions.filter { exists(topic.name, $0) }.map { TopicPartition(topic.name, PartitionID($0)) }
            }
            let deleted = await broker.coordinator.deleteOffsets(groupID: request.groupID, partitions: partitions)
            let topics = deleted.error != .noError ? [] : request.topics.map { topic in
                (topic.name, topic.partitions.map { partition in
                    (partition, exists(topic.name, partition) ? deleted.partitions[TopicPartition(topic.name, PartitionID(partition))] ?? .noError : .unknownTopicOrPartition)
                })
            }
            return OffsetDelete.responseBody(error: deleted.error, topics: topics)
        case .initProducerId:
            let request = try InitProducerId.Request.decode(raw)
            guard request.transactionalID == nil else {
                logger.notice("refused a transactional producer", metadata: ["transactional.id": "\(request.transactionalID ?? "")"])
                return InitProducerId.responseBody(error: .invalidRequest, producerID: -1, epoch: -1)
            }
            do {
                let allocated = try broker.producerIDs.allocate()
                return InitProducerId.responseBody(error: .noError, producerID: allocated.producerID, epoch: allocated.epoch)
            } catch {
                logger.error("cannot hand out a producer id", metadata: ["reason": "\(error)"])
                return InitProducerId.responseBody(error: error.code, producerID: -1, epoch: -1)
            }
        default:
            return nil
        }
    }

    /// Checks and creates one topic of a CreateTopics request.
    func createTopic(_ topic: CreateTopics.Topic, validateOnly: Bool) -> TopicResult {
        func failure(_ code: ErrorCode, _ message: String) -> TopicResult { TopicResult(name: topic.name, error: code, message: message) }
        var settings = TopicConfiguration(partitions: broker.configuration.defaultPartitions)
        if !topic.assignments.isEmpty {
            guard topic.partitions == -1, topic.replicationFactor == -1 else {
                return failure(.invalidRequest, "give either partition and replica counts or a replica assignment, not both")
            }
            guard topic.assignments.map(\.partition).sorted() == Array(0 ..< Int32(topic.assignments.count)),
                  topic.assignments.allSatisfy({ $0.brokers == [configuration.nodeID] }) else {
                return failure(.invalidReplicaAssignment, "every partition 0..<n must be assigned to broker \(configuration.nodeID) alone")
            }
            settings.partitions = topic.assignments.count
        } else {
            if topic.partitions != -1 { settings.partitions = Int(topic.partitions) }
            guard topic.replicationFactor == -1 || topic.replicationFactor == 1 else {
                return failure(.invalidReplicationFactor, "replication factor \(topic.replicationFactor) is more than the 1 broker available")
            }
        }
        do {
            try KafkaTopicSettings.apply(topic.configs, to: &settings)
        } catch {
            return failure(.invalidConfig, "topic '\(topic.name)': \(error.message)")
        }
        do {
            if validateOnly {
                try broker.validateNewTopic(topic.name, configuration: settings)
            } else {
                try broker.createTopic(topic.name, configuration: settings)
            }
            return TopicResult(name: topic.name, error: .noError)
        } catch {
            return failure(error.code, error.message)
        }
    }

    private func deleteTopic(_ name: String) -> TopicResult {
        do {
            try broker.deleteTopic(name)
            return TopicResult(name: name, error: .noError)
        } catch {
            return TopicResult(name: name, error: error.code, message: error.message)
        }
    }

    private func addPartitions(_ topic: CreatePartitions.Topic, validateOnly: Bool) -> TopicResult {
        do {
            let current = try broker.partitionCount(topic.name)
            if let assignments = topic.assignments {
                guard assignments.count == Int(topic.totalCount) - current, assignments.allSatisfy({ $0 == [configuration.nodeID] }) else {
                    return TopicResult(
                        name: topic.name, error: .invalidReplicaAssignment,
                        message: "each of the \(Int(topic.totalCount) - current) new partitions must be assigned to broker \(configuration.nodeID) alone"
                    )
                }
            }
            if validateOnly {
                try broker.validateAddPartitions(topic.name, totalCount: Int(topic.totalCount))
            } else {
                try broker.addPartitions(topic.name, totalCount: Int(topic.totalCount))
            }
            return TopicResult(name: topic.name, error: .noError)
        } catch {
            return TopicResult(name: topic.name, error: error.code, message: error.message)
        }
    }

    /// DeleteRecords, per partition: the new log start, or why not.
    private func deleteRecords(_ request: DeleteRecords.Request) -> [(name: String, partitions: [DeleteRecords.PartitionResult])] {
        request.topics.map { topic in
            (topic.name, topic.partitions.map { partition in
                do throws(BrokerError) {
                    let start = try broker.deleteRecords(TopicPartition(topic.name, PartitionID(partition.partition)), below: Offset(partition.offset))
                    return DeleteRecords.PartitionResult(partition: partition.partition, lowWatermark: start.rawValue, error: .noError)
                } catch {
                    logger.notice("refused a DeleteRecords", metadata: ["reason": "\(error)"])
                    return DeleteRecords.PartitionResult(partition: partition.partition, lowWatermark: -1, error: error.code)
                }
            })
        }
    }

    /// A group as DescribeGroups shows it; like Kafka, member metadata and assignments only
    /// once the group is stable, and an unknown group is "Dead".
    private func describeGroup(_ id: String) async -> DescribeGroups.Group {
        guard let group = await broker.coordinator.describe(groupID: id) else {
            return DescribeGroups.Group(groupID: id, state: GroupState.dead.rawValue, protocolType: "", protocolName: "", members: [])
        }
        let stable = group.state == .stable
        return DescribeGroups.Group(
            groupID: id, state: group.state.rawValue, protocolType: group.protocolType, protocolName: stable ? group.protocolName : "",
            members: group.members.map { member in
                DescribeGroups.Member(
                    memberID: member.memberID.rawValue, clientID: member.clientID, clientHost: member.clientHost,
                    metadata: stable ? member.metadata : [], assignment: stable ? member.assignment : [], instanceID: member.instanceID
                )
            }
        )
    }
}

extension CreateTopics.Request {
    /// One result per topic; a name given twice fails both, as in Kafka.
    fileprivate func topicsResults(_ dispatcher: RequestDispatcher) -> [TopicResult] {
        var counts: [String: Int] = [:]
        for topic in topics { counts[topic.name, default: 0] += 1 }
        return topics.map { topic in
            guard counts[topic.name] == 1 else {
                return TopicResult(name: topic.name, error: .invalidRequest, message: "topic '\(topic.name)' appears more than once in the request")
            }
            return dispatcher.createTopic(topic, validateOnly: validateOnly)
        }
    }
}
