import Broker
import Foundation
import KafkaWire
import LogStore
import RideModel
import SQLite

/// `ridestream rebuild --group G`: a sink's database made again from the log, the way the log
/// lets any database be rebuilt.
///
/// The new file is written beside the old one as `G.rebuild.sqlite`, every partition read
/// from its log start in transactions of `batchSize` events, through the same processor and
/// exactly-once bookkeeping as the pipeline (offsets stored with the rows; events retention or
/// DeleteRecords removed recorded as gaps). Only when it is complete and closed is it swapped
/// in: the old file is first checkpointed (its write-ahead log folded in), then hard-linked as
/// `G.before-rebuild.sqlite`, then the new file is renamed over `G.sqlite` and the directory
/// synced. Killed at any moment, `G.sqlite` is the old file or the new one, whole; a
/// leftover `G.rebuild.sqlite` is removed by the next rebuild.
public struct SinkRebuild {
    /// What a rebuild replayed.
    public struct Outcome: Encodable, Sendable {
        public var group: String
        public var database: String
        /// The previous file, kept aside; nil when there was none.
        public var previous: String?
        public var events: Int
        public var transactions: Int
        public var rows: Int
        /// Per partition: the offsets replayed (`from ..< to`), and how many events below
        /// `from` were no longer in the log.
        public var partitions: [Partition]
        public var seconds: Double

        public struct Partition: Encodable, Sendable {
            public var partition: Int32
            public var from: Int64
            public var to: Int64
            public var missing: Int64
        }

        public var text: String {
            let rate = seconds > 0 ? Int(Double(events) / seconds) : events
            var lines = [
                "rebuilt \(database) from the log: \(events) events replayed in \(transactions) transactions, \(rows) rows, "
                    + String(format: "%.1f", seconds) + " s (\(rate) events/s)",
            ]
            for partition in partitions {
                lines.append("  partition \(partition.partition): offsets \(partition.from)..<\(partition.to)"
                    + (partition.missing > 0 ? "; \(partition.missing) older events were no longer in the log (recorded as a gap)" : ""))
            }
            lines.append(previous.map { "the previous file is kept as \($0)" } ?? "there was no previous file")
            return lines.joined(separator: "\n")
        }
    }

    /// The files a rebuild of `group` may leave in the data directory (a fresh run removes them).
    static func files(of group: GroupName) -> [String] {
        let base = group.rawValue
        return ["\(base).before-rebuild.sqlite"] + ["", "-wal", "-shm", "-journal"].map { "\(base).rebuild.sqlite\($0)" }
    }

    let inspector: DataDirectoryInspector
    let configuration: PipelineConfiguration
    /// Events per transaction (the pipeline's `consumer.batch_size`).
    let batchSize: Int

    public init(dataDirectory: String, configuration: PipelineConfiguration) {
        inspector = DataDirectoryInspector(dataDirectory: dataDirectory)
        self.configuration = configuration
        batchSize = max(1, configuration.batchSize)
    }

    /// Rebuilds `group`'s database, holding the directory throughout (a run cannot start
    /// meanwhile; a directory in use is refused, naming its holder).
    public func run(_ group: GroupName) throws -> Outcome {
        let started = ContinuousClock.now
        return try inspector.withBroker { broker in
            let directory = inspector.dataDirectory
            let target = directory + "/" + group.databaseFile
            let building = directory + "/" + group.rawValue + ".rebuild.sqlite"
            let aside = directory + "/" + group.rawValue + ".before-rebuild.sqlite"
            for leftover in [building, building + "-wal", building + "-shm", building + "-journal"] { try? FileManager.default.removeItem(atPath: leftover) }
            let topic = configuration.topic
            guard let partitions = try? broker.partitionCount(topic) else {
                throw InspectionError.noSuchTopic(topic, known: broker.topicNames())
            }
            var outcome = Outcome(
                group: group.rawValue, database: group.databaseFile, previous: nil, events: 0, transactions: 0, rows: 0, partitions: [], seconds: 0
            )
            do {
                let connection = try SinkConnection(group: group, path: building, topic: topic, tariff: configuration.tariff, tuned: true)
                for index in 0 ..< partitions {
                    outcome.partitions.append(try replay(PartitionID(Int32(index)), of: topic, from: broker, into: connection, counting: &outcome))
                }
            }
            try? FileManager.default.removeItem(atPath: building + "-shm")
            if FileManager.default.fileExists(atPath: target) {
                try Self.foldWriteAheadLog(target)
                try? FileManager.default.removeItem(atPath: aside)
                try FileManager.default.linkItem(atPath: target, toPath: aside)
                outcome.previous = (aside as NSString).lastPathComponent
            }
            guard rename(building, target) == 0 else {
                throw Failure(message: "\(building): cannot move the rebuilt file over \(target): \(String(cString: strerror(errno)))")
            }
            try? FileManager.default.removeItem(atPath: target + "-shm")  // the old file's, stale
            try DurableFile.syncDirectory(directory)
            let elapsed = (ContinuousClock.now - started).components
            outcome.seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
            return outcome
        }
    }

    /// Reads one partition from its log start to its end into the new file.
    private func replay(
        _ partition: PartitionID, of topic: String, from broker: Broker, into connection: SinkConnection, counting outcome: inout Outcome
    ) throws -> Outcome.Partition {
        let id = TopicPartition(topic, partition)
        let bounds = try broker.readableBounds(id)
        var next = Offset.zero
        if bounds.start > .zero {
            _ = try connection.recordGap(consumer: "rebuild", partition: partition, from: .zero, to: bounds.start)
            next = bounds.start
        }
        var pending: [PositionedEvent] = []
        var first = next
        func flush(upTo end: Offset) throws {
            guard end > first else { return }
            guard case let .stored(rows) = try connection.write(consumer: "rebuild", partition: partition, firstOffset: first, nextOffset: end, events: pending[...]) else {
                throw Failure(message: "\(connection.path): the file being rebuilt was written by another process")
            }
            outcome.transactions += 1
            outcome.events += pending.count
            outcome.rows += rows
            pending.removeAll(keepingCapacity: true)
            first = end
        }
        while next < bounds.highWatermark {
            let read = try broker.read(id, from: next, maxBytes: 1 << 20)
            let records = try RecordSet.decode(read.bytes, from: next)
            guard records.nextOffset > next else { break }
            for index in records.indices {
                let offset = records.offset(at: index)
                guard offset < bounds.highWatermark, let value = records.value(at: index) else { continue }
                pending.append(PositionedEvent(partition: partition, offset: offset, event: try LocationEventView.decode(value)))
                if pending.count == batchSize { try flush(upTo: offset + 1) }
            }
            next = min(records.nextOffset, bounds.highWatermark)
        }
        try flush(upTo: next)
        return Outcome.Partition(partition: partition.rawValue, from: bounds.start.rawValue, to: next.rawValue, missing: bounds.start.rawValue)
    }

    /// Folds a database's write-ahead log into it (a run killed mid-way leaves one), so that
    /// nothing of it lives in a `-wal` file beside a name about to be given to another file.
    static func foldWriteAheadLog(_ path: String) throws {
        guard FileManager.default.fileExists(atPath: path + "-wal") else { return }
        let database = try Database(path: path, create: false)
        try database.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    }

    /// A rebuild that could not finish; the old file is untouched.
    public struct Failure: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }
}
