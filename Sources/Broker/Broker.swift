import Foundation
import Groups
import KafkaWire
import LogStore
import Logging

/// The built-in broker: durable partitioned topics, produce and fetch, and the group
/// coordinator with committed offsets, all in one process.
///
/// On-disk layout under `BrokerConfiguration.dataDirectory`:
/// - `topics/<topic>/topic.json`: the topic's `TopicConfiguration`, written last when a topic is
///   created, so a directory without it is an unfinished creation and is removed on start;
/// - `topics/<topic>/<partition>/`: one `PartitionLog` per partition;
/// - `topics/<topic>/<partition>/producer-state`: the partition's idempotent producers at its
///   last clean close or snapshot (see `ProducerStateFile`);
/// - `internal/consumer-offsets/`: the committed-offsets log (see `OffsetStore`);
/// - `producer-ids`: the first producer id this directory handed out (see `ProducerIDAllocator`);
/// - `.lock`: held (`flock`) while a broker has the directory open, so a second process is
///   refused instead of corrupting the logs.
///
/// Thread-safe. Produce and fetch are synchronous calls guarded by per-partition locks, so the
/// in-process producer appends without an actor hop; long-polling fetches are `async`.
public final class Broker: @unchecked Sendable {
    public let configuration: BrokerConfiguration
    public let coordinator: GroupCoordinator
    public let offsets: OffsetStore
    /// Producer ids for idempotent producers (InitProducerId).
    public let producerIDs: ProducerIDAllocator
    public let clock: any WallClock
    let logger: Logger
    let lock = Lock()
    /// Serialises topic creation, deletion and growth (administration requests can arrive
    /// concurrently from the network); taken before `lock`, never inside it.
    let adminLock = Lock()
    var topics: [String: Topic] = [:]
    /// Topics that may not be deleted or grown, with why (`protect`).
    private var protectedTopics: [String: String] = [:]
    private var closed = false
    private let directoryLock: DirectoryLock

    /// Opens (or creates) the broker's data directory, recovering every partition log.
    public init(
        configuration: BrokerConfiguration,
        clock: any WallClock = SystemWallClock(),
        logger: Logger = Logger(label: "ridestream.broker")
    ) throws(BrokerError) {
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
        let readOnly = configuration.readOnly
        if readOnly {
            guard FileManager.default.fileExists(atPath: configuration.topicsDirectory) else {
                throw BrokerError(.unknownServerError, "\(configuration.dataDirectory) holds no broker data (no topics directory)")
            }
        } else {
            do {
                try FileManager.default.createDirectory(atPath: configuration.topicsDirectory, withIntermediateDirectories: true)
            } catch {
                throw BrokerError(.unknownServerError, "cannot create data directory \(configuration.topicsDirectory): \(error.localizedDescription)")
            }
        }
        directoryLock = try DirectoryLock(directory: configuration.dataDirectory, readOnly: readOnly)
        producerIDs = ProducerIDAllocator(directory: configuration.dataDirectory, clock: clock, logger: logger, readOnly: readOnly)
        offsets = try OffsetStore.open(
            directory: configuration.offsetsDirectory, log: configuration.log, clock: clock, logger: logger, readOnly: readOnly
        )
        coordinator = GroupCoordinator(configuration: configuration.groups, clock: clock, offsets: offsets, logger: logger)
        try loadTopics()
    }

    deinit { try? close() }

    // MARK: - Topics

    private func loadTopics() throws(BrokerError) {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: configuration.topicsDirectory)) ?? []).sorted()
        for name in names {
            let directory = configuration.topicsDirectory + "/" + name
            let metadata = directory + "/topic.json"
            guard TopicName(rawValue: name) != nil, FileManager.default.fileExists(atPath: metadata) else {
                if configuration.readOnly { continue }  // not a topic; removed by the next writable open
                logger.warning("removing unfinished or deleted topic directory", metadata: ["path": "\(directory)"])
                try? FileManager.default.removeItem(atPath: directory)
                continue
            }
            let topicConfiguration: TopicConfiguration
            do {
                topicConfiguration = try JSONDecoder().decode(TopicConfiguration.self, from: Data(contentsOf: URL(fileURLWithPath: metadata)))
            } catch {
                throw BrokerError(.unknownServerError, "\(metadata): cannot read topic configuration: \(error)")
            }
            let partitions = try (0 ..< topicConfiguration.partitions).map { (index) throws(BrokerError) in
                try openPartition(topic: name, index: index, configuration: topicConfiguration)
            }
            topics[name] = Topic(name: name, directory: directory, configuration: topicConfiguration, partitions: partitions)
        }
    }

    private func openPartition(topic: String, index: Int, configuration topicConfiguration: TopicConfiguration) throws(BrokerError) -> Partition {
        let id = TopicPartition(topic, PartitionID(index))
        do {
            let log = try PartitionLog(
                directory: "\(configuration.topicsDirectory)/\(topic)/\(index)",
                configuration: topicConfiguration.logConfiguration(defaults: configuration.log),
                clock: clock, logger: logger, readOnly: configuration.readOnly
            )
            if !log.recovery.cleanShutdown && log.recovery.truncatedBytes > 0 {
                logger.warning("recovered partition", metadata: ["partition": "\(id)", "cut_bytes": "\(log.recovery.truncatedBytes)"])
            }
            return Partition(id: id, log: log, producerIDs: producerIDs, logger: logger)
        } catch {
            throw BrokerError(error, topicPartition: id)
        }
    }

    /// Writes `topic.json` durably, after making the partition directories durable: a topic
    /// whose `topic.json` survives a crash or power loss has all its partitions.
    func writeTopicConfiguration(_ topicConfiguration: TopicConfiguration, directory: String) throws(BrokerError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let bytes: [UInt8]
        do { bytes = Array(try encoder.encode(topicConfiguration)) } catch {
            throw BrokerError(.unknownServerError, "\(directory)/topic.json: cannot encode topic configuration: \(error)")
        }
        do {
            try DurableFile.syncDirectory(directory)
            try DurableFile.write(bytes, to: directory + "/topic.json")
            try DurableFile.syncDirectory(configuration.topicsDirectory)
        } catch {
            throw BrokerError(.kafkaStorageError, "\(directory)/topic.json: cannot write topic configuration: \(error.message)", cause: error)
        }
    }

    /// Checks what `createTopic` would check (name, settings, not already there) without
    /// creating anything (CreateTopics with validate_only).
    public func validateNewTopic(_ name: String, configuration topicConfiguration: TopicConfiguration) throws(BrokerError) {
        try TopicName.validate(name)
        try topicConfiguration.validate(defaults: configuration.log)
        guard lock.withLock({ topics[name] == nil }) else { throw BrokerError(.topicAlreadyExists, "topic '\(name)' already exists") }
    }

    /// Creates a topic with its partitions on disk.
    @discardableResult
    public func createTopic(_ name: String, configuration topicConfiguration: TopicConfiguration) throws(BrokerError) -> TopicDescription {
        try adminLock.withLock { () throws(BrokerError) in try createTopicLocked(name, configuration: topicConfiguration) }
    }

    func requireWritable() throws(BrokerError) {
        if configuration.readOnly { throw BrokerError(.unknownServerError, "\(configuration.dataDirectory): the broker was opened read-only") }
    }

    private func createTopicLocked(_ name: String, configuration topicConfiguration: TopicConfiguration) throws(BrokerError) -> TopicDescription {
        try requireWritable()
        try TopicName.validate(name)
        try topicConfiguration.validate(defaults: configuration.log)
        return try lock.withLock { () throws(BrokerError) in
            guard !closed else { throw BrokerError(.unknownServerError, "broker is closed") }
            guard topics[name] == nil else { throw BrokerError(.topicAlreadyExists, "topic '\(name)' already exists") }
            let directory = configuration.topicsDirectory + "/" + name
            try? FileManager.default.removeItem(atPath: directory)
            let partitions = try (0 ..< topicConfiguration.partitions).map { (index) throws(BrokerError) in
                try openPartition(topic: name, index: index, configuration: topicConfiguration)
            }
            do throws(BrokerError) {
                try writeTopicConfiguration(topicConfiguration, directory: directory)
            } catch {
                // No topic.json, no topic: what was made is removed now (or on the next start).
                for partition in partitions { partition.discard() }
                try? FileManager.default.removeItem(atPath: directory)
                throw error
            }
            let topic = Topic(name: name, directory: directory, configuration: topicConfiguration, partitions: partitions)
            topics[name] = topic
            logger.info("created topic", metadata: ["topic": "\(name)", "partitions": "\(topicConfiguration.partitions)"])
            return describe(topic)
        }
    }

    /// Deletes a topic and its data. Committed offsets of groups for it are kept, as in Kafka
    /// until they expire.
    public func deleteTopic(_ name: String) throws(BrokerError) {
        try adminLock.withLock { () throws(BrokerError) in try deleteTopicLocked(name) }
    }

    /// Keeps `topic` from being deleted or given more partitions while something in this
    /// process depends on its layout (a `simulate` run: its producer and sinks map regions to
    /// partitions, and a topic deleted and auto-created again would lose the run). Refusals
    /// are POLICY_VIOLATION with `reason` in the message.
    /// Taken under the administration lock, so a change that checked the topic was not
    /// protected has finished before `protect` returns.
    public func protect(_ topic: String, reason: String) {
        adminLock.withLock { lock.withLock { protectedTopics[topic] = reason } }
    }

    public func unprotect(_ topic: String) {
        lock.withLock { _ = protectedTopics.removeValue(forKey: topic) }
    }

    func requireUnprotected(_ topic: String, _ change: String) throws(BrokerError) {
        guard let reason = lock.withLock({ protectedTopics[topic] }) else { return }
        let error = BrokerError(.policyViolation, "topic '\(topic)' cannot be \(change): \(reason)")
        logger.warning("refused a change to a protected topic", metadata: ["error": "\(error)"])
        throw error
    }

    private func deleteTopicLocked(_ name: String) throws(BrokerError) {
        try requireWritable()
        let topic = try topic(name)
        try requireUnprotected(name, "deleted")
        // `~` cannot appear in a topic name, so the trash is never another topic's directory,
        // and one left by a crash is removed on the next start as not a topic. The move comes
        // first: if it fails, the topic stays (and is served) rather than coming back on the
        // next start after its deletion was reported.
        let trash = topic.directory + "~deleted"
        try? FileManager.default.removeItem(atPath: trash)
        do {
            try FileManager.default.moveItem(atPath: topic.directory, toPath: trash)
        } catch {
            throw BrokerError(.kafkaStorageError, "cannot delete topic '\(name)': moving \(topic.directory) aside failed: \(error.localizedDescription)")
        }
        lock.withLock { _ = topics.removeValue(forKey: name) }
        for partition in topic.partitions { partition.discard() }
        // A trash left behind (a failed removal) is removed on the next start.
        try? FileManager.default.removeItem(atPath: trash)
        logger.info("deleted topic", metadata: ["topic": "\(name)"])
    }

    /// Grows a topic to `totalCount` partitions (Kafka never shrinks a topic).
    public func addPartitions(_ name: String, totalCount: Int) throws(BrokerError) {
        try adminLock.withLock { () throws(BrokerError) in
            let topic = try self.topic(name)
            try requireUnprotected(name, "given more partitions")
            let current = topic.configuration
            let updated = try grown(current, name: name, to: totalCount)
            let added = try (current.partitions ..< totalCount).map { (index) throws(BrokerError) in
                try openPartition(topic: name, index: index, configuration: updated)
            }
            try writeTopicConfiguration(updated, directory: topic.directory)
            topic.addPartitions(added, configuration: updated)
        }
    }

    /// Checks what `addPartitions` would check without adding anything (CreatePartitions with
    /// validate_only).
    public func validateAddPartitions(_ name: String, totalCount: Int) throws(BrokerError) {
        let current = try topic(name).configuration
        try requireUnprotected(name, "given more partitions")
        _ = try grown(current, name: name, to: totalCount)
    }

    private func grown(_ current: TopicConfiguration, name: String, to totalCount: Int) throws(BrokerError) -> TopicConfiguration {
        guard totalCount > current.partitions else {
            throw BrokerError(
                .invalidPartitions, "topic '\(name)' has \(current.partitions) partitions; the new count \(totalCount) must be larger"
            )
        }
        var updated = current
        updated.partitions = totalCount
        try updated.validate(defaults: configuration.log)
        return updated
    }

    /// Every topic's name, internal ones included, sorted.
    public func topicNames() -> [String] { lock.withLock { topics.keys.sorted() } }

    public func describeTopic(_ name: String) throws(BrokerError) -> TopicDescription { describe(try topic(name)) }

    public func partitionCount(_ name: String) throws(BrokerError) -> Int { try topic(name).partitionCount }

    func topic(_ name: String) throws(BrokerError) -> Topic {
        try lock.withLock { () throws(BrokerError) in
            guard let topic = topics[name] else { throw BrokerError.unknownTopic(name) }
            return topic
        }
    }

    /// The topic, created with the default partition count when absent and auto-creation is on.
    func topicCreatingIfAllowed(_ name: String) throws(BrokerError) -> Topic {
        if let topic = lock.withLock({ topics[name] }) { return topic }
        guard configuration.autoCreateTopics else { throw BrokerError.unknownTopic(name) }
        do {
            try createTopic(name, configuration: TopicConfiguration(partitions: configuration.defaultPartitions))
        } catch where error.code == .topicAlreadyExists {}
        return try topic(name)
    }

    func partition(_ id: TopicPartition) throws(BrokerError) -> Partition {
        try topic(id.topic).partition(id.partition)
    }

    private func describe(_ topic: Topic) -> TopicDescription {
        TopicDescription(
            name: topic.name, configuration: topic.configuration,
            partitions: topic.partitions.map { partition in
                PartitionDescription(
                    partition: partition.id.partition, logStartOffset: partition.log.logStartOffset,
                    logEndOffset: partition.log.logEndOffset, sizeInBytes: partition.log.sizeInBytes,
                    segments: partition.log.segmentBaseOffsets.count, oldestSegment: partition.log.oldestSegment,
                    recovery: partition.log.recovery
                )
            }
        )
    }

    /// Closes every log cleanly (sync, indexes, clean-shutdown markers) and releases the
    /// directory. Every partition and the offsets log are closed even when some fail, so the
    /// others still get their clean-shutdown marker; the error lists every failure (a log that
    /// failed to close is recovered on the next open).
    public func close() throws(BrokerError) {
        let all: [Topic] = lock.withLock {
            if closed { return [] }
            closed = true
            return Array(topics.values)
        }
        var failures: [BrokerError] = []
        for topic in all.sorted(by: { $0.name < $1.name }) {
            for partition in topic.partitions {
                do { try partition.close() } catch { failures.append(BrokerError(error, topicPartition: partition.id)) }
            }
        }
        do { try offsets.close() } catch { failures.append(error) }
        directoryLock.release()
        guard let first = failures.first else { return }
        if failures.count == 1 { throw first }
        throw BrokerError(
            first.code, "closing the broker in \(configuration.dataDirectory): \(failures.count) logs failed to close: "
                + failures.map(\.message).joined(separator: "; "),
            cause: first.cause
        )
    }
}

/// A topic as `describeTopic` reports it.
public struct TopicDescription: Hashable, Sendable {
    public var name: String
    public var configuration: TopicConfiguration
    public var partitions: [PartitionDescription]
}

public struct PartitionDescription: Hashable, Sendable {
    public var partition: PartitionID
    public var logStartOffset: Offset
    public var logEndOffset: Offset
    public var sizeInBytes: Int
    public var segments: Int
    /// The oldest segment (retention deletes it next); its base offset is the log start.
    public var oldestSegment: SegmentInfo
    /// What opening the log found: a clean close, or a recovery scan and what it cut.
    public var recovery: RecoveryReport
    /// Whether the log had been closed cleanly when the broker opened it (false: recovered).
    public var openedCleanly: Bool { recovery.cleanShutdown }
}
