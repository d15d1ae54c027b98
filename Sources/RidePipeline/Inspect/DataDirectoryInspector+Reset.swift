import Broker
import Foundation
import KafkaWire

extension DataDirectoryInspector {
    /// `groups reset-offsets` on a stopped data directory: planned read-only, committed to the
    /// broker's offsets log with `execute` (nothing runs while the directory is held, so no
    /// group has members).
    public func resetOffsets(group: String, topics: [TopicSelection]?, to target: OffsetResetTarget, execute: Bool) throws -> OffsetResetPlan {
        try withBroker(writable: execute) { broker in
            try OffsetResetPlan.make(group: group, topics: topics, to: target, execute: execute, source: DirectoryResetSource(broker: broker))
        }
    }

    /// `groups delete` on a stopped data directory: the group's committed offsets are removed
    /// (a RideStream sink's database keeps its own).
    public func deleteGroup(_ group: String) throws {
        try withBroker(writable: true) { broker in
            guard broker.offsets.groups().contains(group) else { throw InspectionError.noSuchGroup(group, known: broker.offsets.groups()) }
            try broker.offsets.deleteGroup(group)
        }
    }
}

/// A stopped directory's broker, for `OffsetResetPlan`.
struct DirectoryResetSource: OffsetResetSource {
    let broker: Broker

    func partitions(of topic: String) throws -> [Int32] {
        guard let count = try? broker.partitionCount(topic) else { throw InspectionError.noSuchTopic(topic, known: broker.topicNames()) }
        return (0 ..< Int32(count)).map { $0 }
    }

    func committed(_ group: String) throws -> [TopicPartition: Int64] { broker.offsets.committed(group: group).mapValues(\.offset.rawValue) }

    func activity(_ group: String) throws -> (state: String, members: Int) { ("Empty", 0) }

    func bounds(_ partitions: [TopicPartition]) throws -> [TopicPartition: (start: Int64, end: Int64)] {
        var bounds: [TopicPartition: (start: Int64, end: Int64)] = [:]
        for partition in partitions {
            let readable = try broker.readableBounds(partition)
            bounds[partition] = (readable.start.rawValue, readable.highWatermark.rawValue)
        }
        return bounds
    }

    func offsets(atOrAfter time: Int64, _ partitions: [TopicPartition]) throws -> [TopicPartition: Int64] {
        var found: [TopicPartition: Int64] = [:]
        for partition in partitions { found[partition] = try broker.listOffset(partition, .timestamp(time)).rawValue }
        return found
    }

    func commit(_ group: String, _ offsets: [TopicPartition: Int64]) throws {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        try broker.offsets.commit(group: group, offsets: offsets.mapValues { CommittedOffset(offset: Offset($0), commitTimestamp: now) })
    }
}
