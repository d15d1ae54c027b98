#if KafkaCluster
import CRdKafka
import Glibc
import Synchronization

/// A librdkafka producer. `send` queues a record (librdkafka batches and sends in its own
/// threads); `flush` waits until everything queued is acknowledged and throws the first
/// delivery failure, so a caller that flushes knows every record it sent is in the log.
///
/// Thread-safe: librdkafka's producer may be used from several threads.
public final class KafkaProducerClient: @unchecked Sendable {
    private let handle: OpaquePointer
    private let reports: DeliveryReports

    /// Counts delivery reports; librdkafka calls back from `rd_kafka_poll`/`flush`.
    final class DeliveryReports: Sendable {
        let state = Mutex<(delivered: Int, failure: String?)>((0, nil))
    }

    /// - Parameter properties: producer settings on top of `settings` (e.g. `acks`).
    public init(settings: KafkaSettings, properties: [String: String] = [:]) throws(KafkaClusterError) {
        // Idempotence: a produce request retried after a lost answer is not stored twice,
        // and retries keep each partition's order.
        let defaults = ["acks": "all", "linger.ms": "5", "enable.idempotence": "true"].merging(properties) { _, given in given }
        let configuration = try settings.makeConfiguration(defaults: defaults)
        let reports = DeliveryReports()
        self.reports = reports
        rd_kafka_conf_set_opaque(configuration, Unmanaged.passUnretained(reports).toOpaque())
        rd_kafka_conf_set_dr_msg_cb(configuration) { _, message, opaque in
            guard let message, let opaque else { return }
            let reports = Unmanaged<DeliveryReports>.fromOpaque(opaque).takeUnretainedValue()
            let error = message.pointee.err
            reports.state.withLock { state in
                if error == RD_KAFKA_RESP_ERR_NO_ERROR {
                    state.delivered += 1
                } else if state.failure == nil {
                    state.failure = "delivery to partition \(message.pointee.partition) failed: \(describe(error))"
                }
            }
        }
        handle = try KafkaSettings.makeHandle(RD_KAFKA_PRODUCER, configuration)
    }

    deinit {
        rd_kafka_flush(handle, 5000)
        rd_kafka_destroy(handle)
    }

    /// Records acknowledged so far.
    public var delivered: Int { reports.state.withLock { $0.delivered } }

    /// Queues one record; blocks the calling thread (serving delivery reports) while
    /// librdkafka's queue is full. Async callers use `trySend` and `waitForRoom` off the pool.
    /// - Parameter partition: nil lets librdkafka's partitioner choose from the key.
    public func send(
        topic: String, partition: Int32?, key: [UInt8]?, value: [UInt8], headers: [(String, [UInt8])] = [], timestamp: Int64
    ) throws(KafkaClusterError) {
        while try !trySend(topic: topic, partition: partition, key: key, value: value, headers: headers, timestamp: timestamp) {
            waitForRoom()
        }
    }

    /// Serves delivery reports for up to 100 ms, which frees room in a full queue. Blocks.
    public func waitForRoom() { rd_kafka_poll(handle, 100) }

    /// Queues one record without waiting; returns false when librdkafka's queue is full.
    public func trySend(
        topic: String, partition: Int32?, key: [UInt8]?, value: [UInt8], headers: [(String, [UInt8])] = [], timestamp: Int64
    ) throws(KafkaClusterError) -> Bool {
        // Header names as C strings for the length of the call (librdkafka copies them).
        let names = headers.map { strdup($0.0)! }
        defer { names.forEach { free($0) } }
        do {
            let error: OpaquePointer? = topic.withCString { topicName in
                value.withUnsafeBytes { valueBytes in
                    withOptionalBytes(key) { keyBytes in
                        var fields = [rd_kafka_vu_t](repeating: rd_kafka_vu_t(), count: 5)
                        fields[0].vtype = RD_KAFKA_VTYPE_TOPIC
                        fields[0].u.cstr = topicName
                        fields[1].vtype = RD_KAFKA_VTYPE_VALUE
                        fields[1].u.mem.ptr = UnsafeMutableRawPointer(mutating: valueBytes.baseAddress)
                        fields[1].u.mem.size = valueBytes.count
                        fields[2].vtype = RD_KAFKA_VTYPE_MSGFLAGS
                        fields[2].u.i = RD_KAFKA_MSG_F_COPY
                        fields[3].vtype = RD_KAFKA_VTYPE_TIMESTAMP
                        fields[3].u.i64 = timestamp
                        var count = 4
                        if let partition {
                            fields[count].vtype = RD_KAFKA_VTYPE_PARTITION
                            fields[count].u.i32 = partition
                            count += 1
                        }
                        if let keyBytes {
                            fields.append(rd_kafka_vu_t())
                            fields[count].vtype = RD_KAFKA_VTYPE_KEY
                            fields[count].u.mem.ptr = UnsafeMutableRawPointer(mutating: keyBytes.baseAddress)
                            fields[count].u.mem.size = keyBytes.count
                            count += 1
                        }
                        var headerValues: [UnsafeMutableRawPointer] = []
                        defer { headerValues.forEach { $0.deallocate() } }
                        for (index, header) in headers.enumerated() {
                            let copy = UnsafeMutableRawPointer.allocate(byteCount: max(1, header.1.count), alignment: 1)
                            header.1.withUnsafeBytes { copy.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
                            headerValues.append(copy)
                            var field = rd_kafka_vu_t()
                            field.vtype = RD_KAFKA_VTYPE_HEADER
                            field.u.header.name = UnsafePointer(names[index])
                            field.u.header.val = UnsafeRawPointer(copy)
                            field.u.header.size = header.1.count
                            if count < fields.count { fields[count] = field } else { fields.append(field) }
                            count += 1
                        }
                        return rd_kafka_produceva(handle, fields, count)
                    }
                }
            }
            guard let error else {
                rd_kafka_poll(handle, 0)
                return true
            }
            let code = rd_kafka_error_code(error)
            let text = String(cString: rd_kafka_error_string(error))
            rd_kafka_error_destroy(error)
            guard code == RD_KAFKA_RESP_ERR__QUEUE_FULL else {
                throw KafkaClusterError("cannot produce to \(topic): \(text)", code: code.rawValue)
            }
            return false
        }
    }

    /// Waits until every queued record is acknowledged; throws the first delivery failure
    /// seen. librdkafka gives up on a record after its `message.timeout.ms` (5 minutes by
    /// default), which reports a failure, so this does not wait forever.
    public func flush() throws(KafkaClusterError) {
        while rd_kafka_outq_len(handle) > 0 {
            rd_kafka_flush(handle, 1000)
            if let failure = reports.state.withLock({ $0.failure }) { throw KafkaClusterError(failure) }
        }
        if let failure = reports.state.withLock({ $0.failure }) { throw KafkaClusterError(failure) }
    }
}

/// Runs `body` with the bytes of `bytes`, or with nil.
func withOptionalBytes<Result>(_ bytes: [UInt8]?, _ body: (UnsafeRawBufferPointer?) -> Result) -> Result {
    guard let bytes else { return body(nil) }
    return bytes.withUnsafeBytes { body($0) }
}
#endif
