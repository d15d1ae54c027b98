#if KafkaCluster
import CRdKafka
import Synchronization

/// A partition of a topic, as the cluster clients name it.
public struct KafkaTopicPartition: Hashable, Sendable, Comparable {
    public var topic: String
    public var partition: Int32

    public init(_ topic: String, _ partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { (lhs.topic, lhs.partition) < (rhs.topic, rhs.partition) }

    /// The offset that means "the first offset the log still has" (librdkafka's
    /// `RD_KAFKA_OFFSET_BEGINNING`, Kafka's -2).
    public static let beginning: Int64 = -2
}

/// One record read from the cluster.
public struct KafkaMessage: Sendable {
    public var topicPartition: KafkaTopicPartition
    public var offset: Int64
    public var key: [UInt8]?
    public var value: [UInt8]
    public var timestamp: Int64
}

/// What a group member does when partitions move, called on the polling thread inside
/// `poll` (and `close`), as librdkafka's rebalance callback is.
///
/// Both callbacks get what changed: under the eager protocol that is the whole assignment
/// (revoked entirely, then assigned anew); under the cooperative one (`cooperative-sticky`)
/// only the partitions that move, while the others stay assigned throughout.
public struct KafkaRebalanceListener: Sendable {
    /// Partitions just assigned; returns where to start each (absent: the group's committed
    /// offset, else `auto.offset.reset`).
    public var onAssigned: @Sendable ([KafkaTopicPartition]) -> [KafkaTopicPartition: Int64]
    /// Partitions about to be taken away (or already lost, when the member dropped out of
    /// the group): finish work on them now.
    public var onRevoked: @Sendable ([KafkaTopicPartition]) -> Void

    public init(
        onAssigned: @escaping @Sendable ([KafkaTopicPartition]) -> [KafkaTopicPartition: Int64] = { _ in [:] },
        onRevoked: @escaping @Sendable ([KafkaTopicPartition]) -> Void = { _ in }
    ) {
        self.onAssigned = onAssigned
        self.onRevoked = onRevoked
    }
}

/// A librdkafka group consumer, eager or cooperative as `partition.assignment.strategy`
/// makes it (`cooperative-sticky`: incremental assign and unassign). Offsets are committed
/// only when the caller says so (`enable.auto.commit=false`).
///
/// One thread polls it (a blocking call, so not a thread of Swift's concurrency pool), as
/// librdkafka's consumer API expects; `poll`, `close` and `abandon` must not run at the same
/// time. `commit`, `seek` and `assignment` may be called from other threads: they do nothing
/// (or throw) once the client is closed, never touching a freed handle.
public final class KafkaConsumerClient: @unchecked Sendable {
    private let handle: OpaquePointer
    private let box: ListenerBox
    /// Set, under the lock, before the handle is destroyed.
    private let closed = Mutex(false)

    final class ListenerBox: Sendable {
        let listener: KafkaRebalanceListener
        /// Rebalance callbacks so far: `poll` drops what it gathered before one for the
        /// partitions that callback revoked.
        let callbacks = Atomic<Int>(0)
        /// Partitions revoked by callbacks since `poll` last looked.
        let revoked = Mutex<Set<KafkaTopicPartition>>([])
        init(_ listener: KafkaRebalanceListener) { self.listener = listener }

        func takeRevoked() -> Set<KafkaTopicPartition> { revoked.withLock { revoked in defer { revoked = [] }; return revoked } }
    }

    /// Whether the group's protocol is cooperative (librdkafka says once the member has an
    /// assignor: "COOPERATIVE", "EAGER" or "NONE").
    static func isCooperative(_ handle: OpaquePointer) -> Bool {
        rd_kafka_rebalance_protocol(handle).map { String(cString: $0) == "COOPERATIVE" } ?? false
    }

    public init(
        settings: KafkaSettings, groupID: String, clientID: String, topics: [String],
        properties: [String: String] = [:], listener: KafkaRebalanceListener = KafkaRebalanceListener()
    ) throws(KafkaClusterError) {
        let required = [
            "group.id": groupID, "client.id": clientID, "enable.auto.commit": "false", "enable.auto.offset.store": "false",
        ]
        let defaults = ["auto.offset.reset": "earliest", "partition.assignment.strategy": "range", "log_level": "3"]
            .merging(properties) { _, given in given }
        let configuration = try settings.makeConfiguration(required: required, defaults: defaults)
        let box = ListenerBox(listener)
        self.box = box
        rd_kafka_conf_set_opaque(configuration, Unmanaged.passUnretained(box).toOpaque())
        rd_kafka_conf_set_rebalance_cb(configuration) { handle, code, partitions, opaque in
            guard let handle, let opaque else { return }
            let box = Unmanaged<ListenerBox>.fromOpaque(opaque).takeUnretainedValue()
            box.callbacks.wrappingAdd(1, ordering: .sequentiallyConsistent)
            let listener = box.listener
            let list = partitions.map(TopicPartitionList.entries) ?? []
            let cooperative = KafkaConsumerClient.isCooperative(handle)
            if code == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS, let partitions {
                let starts = listener.onAssigned(list)
                TopicPartitionList.setOffsets(partitions, starts)
                if cooperative {
                    if let error = rd_kafka_incremental_assign(handle, partitions) { rd_kafka_error_destroy(error) }
                } else {
                    rd_kafka_assign(handle, partitions)
                }
            } else {
                box.revoked.withLock { $0.formUnion(list) }
                listener.onRevoked(list)
                if cooperative, let partitions {
                    if let error = rd_kafka_incremental_unassign(handle, partitions) { rd_kafka_error_destroy(error) }
                } else {
                    rd_kafka_assign(handle, nil)
                }
            }
        }
        handle = try KafkaSettings.makeHandle(RD_KAFKA_CONSUMER, configuration)
        rd_kafka_poll_set_consumer(handle)
        let subscription = TopicPartitionList.make(topics.map { KafkaTopicPartition($0, RD_KAFKA_PARTITION_UA) })
        defer { rd_kafka_topic_partition_list_destroy(subscription) }
        let code = rd_kafka_subscribe(handle, subscription)
        guard code == RD_KAFKA_RESP_ERR_NO_ERROR else {
            abandon()
            throw KafkaClusterError("cannot subscribe to \(topics.joined(separator: ", ")): \(describe(code))", code: code.rawValue)
        }
    }

    /// Without `close()` first, the client is freed without leaving its group (leaving runs
    /// the revoke callback, which must not happen on whatever thread drops the last reference).
    deinit { abandon() }

    private var isClosed: Bool { closed.withLock { $0 } }

    /// Up to `maxMessages` records, waiting at most `timeoutMs` for the first. Rebalance
    /// callbacks run inside. Transient errors (a broker connection dropping) are left to
    /// librdkafka's retries; errors about the topic itself are thrown.
    ///
    /// Records gathered before a rebalance callback in the same call are dropped where that
    /// callback revoked their partition (eagerly: all of them): they belong to an ownership
    /// that ended, and a new one starts from its own offsets. Partitions a cooperative
    /// rebalance left in place keep theirs.
    public func poll(maxMessages: Int, timeoutMs: Int32) throws(KafkaClusterError) -> [KafkaMessage] {
        guard !isClosed else { throw KafkaClusterError("consumer: closed") }
        var messages: [KafkaMessage] = []
        var wait = timeoutMs
        var callbacks = box.callbacks.load(ordering: .sequentiallyConsistent)
        _ = box.takeRevoked()
        /// Drops what a rebalance callback since the last look revoked.
        func dropRevoked() {
            let now = box.callbacks.load(ordering: .sequentiallyConsistent)
            guard now != callbacks else { return }
            let revoked = box.takeRevoked()
            if Self.isCooperative(handle) {
                messages.removeAll { revoked.contains($0.topicPartition) }
            } else {
                messages.removeAll()
            }
            callbacks = now
        }
        while messages.count < maxMessages, let message = rd_kafka_consumer_poll(handle, wait) {
            defer { rd_kafka_message_destroy(message) }
            wait = 0
            dropRevoked()
            let record = message.pointee
            guard record.err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                switch record.err {
                case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED, RD_KAFKA_RESP_ERR__FATAL:
                    throw KafkaClusterError("consumer: \(describe(record.err))", code: record.err.rawValue)
                default:
                    continue
                }
            }
            let topic = String(cString: rd_kafka_topic_name(record.rkt))
            let value = record.payload.map { [UInt8](UnsafeRawBufferPointer(start: $0, count: record.len)) } ?? []
            let key = record.key.map { [UInt8](UnsafeRawBufferPointer(start: $0, count: record.key_len)) }
            var type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
            messages.append(KafkaMessage(
                topicPartition: KafkaTopicPartition(topic, record.partition), offset: record.offset, key: key, value: value,
                timestamp: rd_kafka_message_timestamp(message, &type)
            ))
        }
        // The last call (the one that returned nothing) may have run a callback too.
        dropRevoked()
        return messages
    }

    /// Commits `offsets` (the next offset to read, per partition): synchronously, or handed
    /// to librdkafka's background thread with `wait: false`.
    public func commit(_ offsets: [KafkaTopicPartition: Int64], wait: Bool = true) throws(KafkaClusterError) {
        guard !offsets.isEmpty else { return }
        let list = TopicPartitionList.make(offsets.keys.sorted())
        defer { rd_kafka_topic_partition_list_destroy(list) }
        TopicPartitionList.setOffsets(list, offsets)
        // Under the lock: the handle is not destroyed meanwhile (a commit made from the revoke
        // callback during `close` runs before `close` takes the lock).
        let code = closed.withLock { closed in closed ? RD_KAFKA_RESP_ERR__STATE : rd_kafka_commit(handle, list, wait ? 0 : 1) }
        guard code == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaClusterError("commit failed: \(describe(code))", code: code.rawValue)
        }
    }

    /// A group's committed offsets (-1001, librdkafka's "invalid", where it has none), read
    /// without joining the group.
    public static func committedOffsets(
        settings: KafkaSettings, group: String, partitions: [KafkaTopicPartition], timeoutMs: Int32 = 10_000
    ) throws(KafkaClusterError) -> [KafkaTopicPartition: Int64] {
        let handle = try KafkaSettings.makeHandle(
            RD_KAFKA_CONSUMER, try settings.makeConfiguration(required: ["group.id": group], defaults: ["log_level": "3"])
        )
        defer { rd_kafka_destroy(handle) }
        let list = TopicPartitionList.make(partitions)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let code = rd_kafka_committed(handle, list, timeoutMs)
        guard code == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaClusterError("committed offsets of group \(group): \(describe(code))", code: code.rawValue)
        }
        var result: [KafkaTopicPartition: Int64] = [:]
        for index in 0 ..< Int(list.pointee.cnt) {
            let element = list.pointee.elems[index]
            result[KafkaTopicPartition(String(cString: element.topic), element.partition)] = element.offset
        }
        return result
    }

    /// Moves the read position of an assigned partition.
    public func seek(_ partition: KafkaTopicPartition, to offset: Int64) throws(KafkaClusterError) {
        let list = TopicPartitionList.make([partition])
        defer { rd_kafka_topic_partition_list_destroy(list) }
        TopicPartitionList.setOffsets(list, [partition: offset])
        let failure: String? = closed.withLock { closed in
            guard !closed else { return "the consumer is closed" }
            if let error = rd_kafka_seek_partitions(handle, list, 10_000) {
                defer { rd_kafka_error_destroy(error) }
                return String(cString: rd_kafka_error_string(error))
            }
            let code = list.pointee.elems[0].err
            return code == RD_KAFKA_RESP_ERR_NO_ERROR ? nil : describe(code)
        }
        if let failure { throw KafkaClusterError("seek \(partition.topic)/\(partition.partition) to \(offset): \(failure)") }
    }

    /// The partitions currently assigned to this member.
    public var assignment: [KafkaTopicPartition] {
        closed.withLock { closed in
            var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
            guard !closed, rd_kafka_assignment(handle, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list else { return [] }
            defer { rd_kafka_topic_partition_list_destroy(list) }
            return TopicPartitionList.entries(list).sorted()
        }
    }

    /// Leaves the group (revoking the assignment through the listener) and frees the client.
    public func close() {
        guard !isClosed else { return }
        rd_kafka_consumer_close(handle)
        destroy(flags: 0)
    }

    /// Frees the client without leaving the group, as a crashed process would: the group
    /// notices when the session times out.
    public func abandon() {
        destroy(flags: Int32(RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE))
    }

    private func destroy(flags: Int32) {
        closed.withLock { closed in
            guard !closed else { return }
            closed = true
            rd_kafka_destroy_flags(handle, flags)
        }
    }
}

/// Helpers for librdkafka's `rd_kafka_topic_partition_list_t`.
enum TopicPartitionList {
    static func make(_ partitions: [KafkaTopicPartition]) -> UnsafeMutablePointer<rd_kafka_topic_partition_list_t> {
        let list = rd_kafka_topic_partition_list_new(Int32(partitions.count))!
        for entry in partitions { rd_kafka_topic_partition_list_add(list, entry.topic, entry.partition) }
        return list
    }

    static func entries(_ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) -> [KafkaTopicPartition] {
        (0 ..< Int(list.pointee.cnt)).map { index in
            let element = list.pointee.elems[index]
            return KafkaTopicPartition(String(cString: element.topic), element.partition)
        }
    }

    static func setOffsets(_ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>, _ offsets: [KafkaTopicPartition: Int64]) {
        for index in 0 ..< Int(list.pointee.cnt) {
            let element = list.pointee.elems[index]
            if let offset = offsets[KafkaTopicPartition(String(cString: element.topic), element.partition)] {
                list.pointee.elems[index].offset = offset
            }
        }
    }
}
#endif
