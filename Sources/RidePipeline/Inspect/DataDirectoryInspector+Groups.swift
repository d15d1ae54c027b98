import Broker
import Foundation
import Groups
import KafkaWire
import SQLite

/// Why an inspection found nothing to show.
public enum InspectionError: Error, Hashable, Sendable, CustomStringConvertible {
    case noSuchGroup(String, known: [String])
    case noSuchTopic(String, known: [String])
    case noSuchPartition(String, Int32, count: Int)
    /// Offsets of a group with members cannot be reset (its members would overwrite them).
    case groupActive(String, state: String, members: Int)
    /// `--shift-by` of a partition the group never committed.
    case nothingToShift(String, TopicPartition)
    /// `--all-topics` for a group that committed nothing.
    case nothingToReset(String)

    public var description: String {
        switch self {
        case let .noSuchGroup(group, known):
            let others = known.isEmpty ? "there are no groups" : "groups: " + known.joined(separator: ", ")
            return "Consumer group '\(group)' does not exist (\(others))"
        case let .noSuchTopic(topic, known):
            return "topic '\(topic)' does not exist (topics: \(known.isEmpty ? "none" : known.joined(separator: ", ")))"
        case let .noSuchPartition(topic, partition, count):
            return "topic '\(topic)' has no partition \(partition) (it has \(count): 0 to \(count - 1))"
        case let .groupActive(group, state, members):
            return "Assignments can only be reset if the group '\(group)' is inactive, but the current state is \(state)"
                + " (\(members) member\(members == 1 ? "" : "s")): stop its consumers first"
        case let .nothingToShift(group, partition):
            return "group '\(group)' has no committed offset for \(partition) to shift from: reset it --to-earliest, --to-latest or --to-offset"
        case let .nothingToReset(group):
            return "group '\(group)' has committed no offsets: name the topics to reset with --topic"
        }
    }
}

extension DataDirectoryInspector {
    /// The groups of a stopped data directory: those with committed offsets and the RideStream
    /// sinks whose database exists, each with no members (nothing runs while the directory is
    /// held). A named group that is neither is `InspectionError.noSuchGroup`.
    public func groupViews(_ name: String? = nil) throws -> [GroupView] {
        try withBroker { broker in
            var names = Set(broker.offsets.groups())
            // A sink's file exists: `groupView` opens it (once) for its offsets and notes.
            for sink in GroupName.allCases where FileManager.default.fileExists(atPath: dataDirectory + "/" + sink.databaseFile) {
                names.insert(sink.rawValue)
            }
            if let name, !names.contains(name) { throw InspectionError.noSuchGroup(name, known: names.sorted()) }
            return try (name.map { [$0] } ?? names.sorted()).map { try groupView($0, broker) }
        }
    }

    private func groupView(_ group: String, _ broker: Broker) throws -> GroupView {
        let committed = broker.offsets.committed(group: group)
        let sink = GroupName(rawValue: group)
        let sinkDatabase = try sink.flatMap { try database($0) }
        let stored = try sinkDatabase.map { try storedPartitionOffsets($0) } ?? [:]
        let offsets = Set(committed.keys).union(stored.keys).sorted().map { partition in
            GroupView.PartitionOffsets(
                topic: partition.topic, partition: partition.partition.rawValue, currentOffset: committed[partition]?.offset.rawValue,
                logEndOffset: (try? broker.bounds(partition).end.rawValue), stored: stored[partition]
            )
        }
        var generation: Int32?
        var notes: [String] = []
        if let sinkDatabase {
            let last = try lastRebalance(sinkDatabase)
            generation = last?.generation
            notes = try sinkNotes(sinkDatabase, last: last)
        }
        return GroupView(
            group: group, state: GroupState.empty.rawValue, generation: generation, assignmentStrategy: nil, members: [], offsets: offsets,
            database: sink.flatMap { sinkDatabase == nil ? nil : $0.databaseFile }, notes: notes
        )
    }

    /// A sink's stored offsets (`consumer_offsets`): the next offset per topic partition.
    func storedPartitionOffsets(_ database: Database) throws -> [TopicPartition: Int64] {
        let statement = try database.prepare(#"SELECT topic, "partition", next_offset FROM consumer_offsets"#)
        var result: [TopicPartition: Int64] = [:]
        while try statement.step() {
            result[TopicPartition(statement.string(0) ?? "", PartitionID(Int32(truncatingIfNeeded: statement.int(1))))] = statement.int(2)
        }
        return result
    }

    private func lastRebalance(_ database: Database) throws -> (generation: Int32, members: String, assignment: String)? {
        let rebalance = try database.prepare("SELECT generation, members, assignment FROM rebalances ORDER BY generation DESC LIMIT 1")
        guard try rebalance.step() else { return nil }
        return (Int32(truncatingIfNeeded: rebalance.int(0)), rebalance.string(1) ?? "", rebalance.string(2) ?? "")
    }

    /// What a sink's database says beyond offsets: its last rebalance, the consumers of its
    /// batch log, and gaps retention left.
    private func sinkNotes(_ database: Database, last: (generation: Int32, members: String, assignment: String)?) throws -> [String] {
        var notes: [String] = []
        if let last { notes.append("last rebalance: generation \(last.generation), members \(last.members); assignment \(last.assignment)") }
        let consumers = try database.prepare(
            #"SELECT consumer, group_concat(DISTINCT "partition"), count(*), sum(events) FROM batches GROUP BY consumer ORDER BY consumer"#
        )
        while try consumers.step() {
            notes.append("consumer \(consumers.string(0) ?? "") (from the batch log): partitions \(consumers.string(1) ?? "-"), \(consumers.int(2)) transactions, \(consumers.int(3)) events")
        }
        guard try database.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'log_gaps'") == 1 else { return notes }
        let gaps = try database.prepare(#"SELECT "partition", from_offset, to_offset FROM log_gaps ORDER BY id"#)
        while try gaps.step() {
            let (from, to) = (gaps.int(1), gaps.int(2))
            notes.append("GAP: partition \(gaps.int(0)) offsets \(from)..<\(to) (\(to - from) events) were deleted from the log (by retention or DeleteRecords) before this group stored them")
        }
        return notes
    }
}
