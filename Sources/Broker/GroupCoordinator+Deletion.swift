import Groups
import KafkaWire
import LogStore
import Logging

extension GroupCoordinator {
    /// DeleteGroups: removes each group that has no members, with its committed offsets.
    /// Codes per group: INVALID_GROUP_ID for an empty id, GROUP_ID_NOT_FOUND for a group this
    /// coordinator does not know, NON_EMPTY_GROUP while it has members, or the offsets log's
    /// storage error.
    public nonisolated func deleteGroups(_ ids: [String]) async -> [(groupID: String, error: ErrorCode)] {
        var results: [(groupID: String, error: ErrorCode)] = []
        for id in ids {
            switch await admitDeletion(groupID: id, partitions: nil) {
            case let .refused(code): results.append((id, code))
            case let .scheduled(_, deletion):
                do throws(BrokerError) {
                    try await deletion.value
                    results.append((id, .noError))
                } catch {
                    results.append((id, error.code))
                }
            }
        }
        return results
    }

    /// OffsetDelete: forgets a group's committed offsets for some partitions. The group-level
    /// code is GROUP_ID_NOT_FOUND for an unknown group and NON_EMPTY_GROUP for a group with
    /// members whose subscriptions cannot be read (not the consumer protocol); partitions of a
    /// topic the members subscribe to get GROUP_SUBSCRIBED_TO_TOPIC and keep their offsets,
    /// as in Kafka; the rest are deleted (NONE, also where nothing was committed).
    public nonisolated func deleteOffsets(
        groupID: String, partitions: [TopicPartition]
    ) async -> (error: ErrorCode, partitions: [TopicPartition: ErrorCode]) {
        switch await admitDeletion(groupID: groupID, partitions: partitions) {
        case let .refused(code): return (code, [:])
        case let .scheduled(refused, deletion):
            var results = refused
            let deleted = partitions.filter { refused[$0] == nil }
            do throws(BrokerError) {
                try await deletion.value
                for partition in deleted { results[partition] = .noError }
            } catch {
                for partition in deleted { results[partition] = error.code }
            }
            return (.noError, results)
        }
    }

    enum Deletion {
        case refused(ErrorCode)
        /// Partitions kept (with their codes) and the queued write for the rest.
        case scheduled([TopicPartition: ErrorCode], ThreadExecutor.Scheduled<Void, BrokerError>)
    }

    /// The deletion check under the actor; the write is queued before the actor is left, so
    /// a commit admitted afterwards is stored after it. A whole group's state goes with it.
    private func admitDeletion(groupID: String, partitions: [TopicPartition]?) -> Deletion {
        guard !groupID.isEmpty else { return .refused(.invalidGroupId) }
        let state = groupState(groupID)
        guard state != nil || offsets.groups().contains(groupID), state?.state != .dead else { return .refused(.groupIdNotFound) }
        guard let partitions else {
            guard state?.isEmpty ?? true else { return .refused(.nonEmptyGroup) }
            forget(groupID)
            return .scheduled([:], offsets.scheduleDeletion(group: groupID, partitions: nil))
        }
        let subscribed: Set<String>? = state.map(\.subscribedTopics) ?? []
        guard let subscribed else { return .refused(.nonEmptyGroup) }
        var refused: [TopicPartition: ErrorCode] = [:]
        for partition in partitions where subscribed.contains(partition.topic) { refused[partition] = .groupSubscribedToTopic }
        return .scheduled(refused, offsets.scheduleDeletion(group: groupID, partitions: partitions.filter { refused[$0] == nil }))
    }
}
