import Foundation
import KafkaWire
import LogStore
import RideModel
import SQLite

/// `bench pipeline`'s true ceiling: the three sinks' SQLite work and nothing else.
///
/// The run's events are simulated, routed to their partitions and cut into full batches of
/// `batchSize` as the pipeline's consumers would, and written once through the real sinks
/// (`SinkConnection`, in memory) with a `StatementJournal` recording every statement call:
/// the same statements, values, transactions and per-batch offset and batch rows. That
/// recording is the workload, built before any clock starts. Measured: replaying it into
/// fresh database files (created by the sinks, so with their schema and settings), with no
/// broker, no JSON, and no Swift work beyond binding —
///
/// - one thread per file: each group's file on a thread of its own, all at once;
/// - one thread for all: the three files one after another on one thread.
///
/// The journals hold about 300 bytes per event (`StatementJournal`): a workload of a few
/// million events fits easily; much larger runs would want a shorter ceiling run.
struct SQLiteCeiling {
    /// The recorded work of each group's file.
    struct Workload: Sendable {
        var journals: [GroupName: StatementJournal]
        var events: Int

        var bytes: Int { journals.values.reduce(0) { $0 + $1.byteCount } }
    }

    /// Seconds each way of replaying one workload.
    struct Timing: Sendable {
        var oneThreadPerFile: Double
        var oneThreadForAll: Double
    }

    let configuration: PipelineConfiguration

    /// Simulates the configured run and records what the sinks do with it.
    func record() async throws -> Workload {
        let configuration = configuration
        let executor = ThreadExecutor(name: "ridestream-ceiling-record")
        return try await executor.perform { () throws -> Workload in
            var journals: [GroupName: StatementJournal] = [:]
            var connections: [SinkConnection] = []
            for group in GroupName.allCases {
                let connection = try SinkConnection(
                    group: group, path: ":memory:", topic: configuration.topic, tariff: configuration.tariff, tuned: true
                )
                let journal = StatementJournal()
                connection.database.journal = journal
                journal.isRecording = true
                journals[group] = journal
                connections.append(connection)
            }
            let events = try Self.writeBatches(configuration) { partition, first, next, batch in
                for connection in connections {
                    _ = try connection.write(consumer: "ceiling", partition: partition, firstOffset: first, nextOffset: next, events: batch)
                }
            }
            for journal in journals.values { journal.isRecording = false }
            return Workload(journals: journals, events: events)
        }
    }

    /// Replays `workload` into fresh files under `directory` both ways.
    func measure(_ workload: Workload, directory: String) async throws -> Timing {
        let perFile = try await replay(workload, into: directory + "/per-file", threads: GroupName.allCases.count)
        let forAll = try await replay(workload, into: directory + "/one-thread", threads: 1)
        return Timing(oneThreadPerFile: perFile, oneThreadForAll: forAll)
    }

    /// Replays every group's journal into a new file, the groups spread over `threads`
    /// threads; returns the seconds from the first replay's start to the last one's end.
    private func replay(_ workload: Workload, into directory: String, threads: Int) async throws -> Double {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let configuration = configuration
        let executors = (0 ..< threads).map { ThreadExecutor(name: "ridestream-ceiling-\($0)") }
        var targets: [(GroupName, SinkConnection, ThreadExecutor)] = []
        for (index, group) in GroupName.allCases.enumerated() {
            let executor = executors[index % threads]
            let path = directory + "/" + group.databaseFile
            let connection = try await executor.perform { () throws(SinkError) in
                try SinkConnection(group: group, path: path, topic: configuration.topic, tariff: configuration.tariff, tuned: true)
            }
            targets.append((group, connection, executor))
        }
        let clock = ContinuousClock()
        let start = clock.now
        let replays = targets.map { group, connection, executor in
            let journal = workload.journals[group]!
            return executor.schedule { () throws(SQLiteError) in try journal.replay(on: connection.database) }
        }
        for replay in replays { try await replay.value }
        return Stopwatch.seconds(clock.now - start)
    }

    /// Simulates the run, routes each event to its partition and calls `write` with each full
    /// batch of `batchSize` (then each partition's rest, in partition order); returns the
    /// events written.
    static func writeBatches(
        _ configuration: PipelineConfiguration,
        _ write: (PartitionID, Offset, Offset, ArraySlice<PositionedEvent>) throws -> Void
    ) throws -> Int {
        let partitioner = RegionPartitioner(table: configuration.partitionTable, partitionCount: configuration.partitions)
        var simulator = Simulator(settings: configuration.simulatorSettings)
        var pending = [[PositionedEvent]](repeating: [], count: configuration.partitions)
        var stored = [Offset](repeating: .zero, count: configuration.partitions)
        var next = stored
        var events = 0
        func flush(_ partition: Int) throws {
            guard !pending[partition].isEmpty else { return }
            try write(PartitionID(partition), stored[partition], next[partition], pending[partition][...])
            stored[partition] = next[partition]
            pending[partition].removeAll(keepingCapacity: true)
        }
        for _ in 0 ..< configuration.ticks {
            for event in simulator.step() {
                let partition = partitioner.route(event).partition
                pending[partition].append(PositionedEvent(partition: PartitionID(partition), offset: next[partition], event: event))
                next[partition] = next[partition] + 1
                events += 1
                if pending[partition].count >= configuration.batchSize { try flush(partition) }
            }
        }
        for partition in 0 ..< configuration.partitions { try flush(partition) }
        return events
    }
}
