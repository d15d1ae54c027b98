import KafkaWire
import LogStore

/// One partition of a topic: its log and the fetches waiting for its next append.
final class Partition: @unchecked Sendable {
    let id: TopicPartition
    let log: PartitionLog
    private let lock = Lock()
    private var waiters: [ObjectIdentifier: AppendWaiter] = [:]

    init(id: TopicPartition, log: PartitionLog) {
        self.id = id
        self.log = log
    }

    func append(_ batch: consuming [UInt8], verifyChecksum: Bool = true) throws(BrokerError) -> AppendResult {
        let result: AppendResult
        do {
            result = try log.append(batch, verifyChecksum: verifyChecksum)
        } catch {
            throw BrokerError(error, topicPartition: id)
        }
        let woken = lock.withLock {
            defer { waiters.removeAll() }
            return Array(waiters.values)
        }
        for waiter in woken { waiter.fire() }
        return result
    }

    func register(_ waiter: AppendWaiter) { lock.withLock { waiters[ObjectIdentifier(waiter)] = waiter } }
    func unregister(_ waiter: AppendWaiter) { lock.withLock { _ = waiters.removeValue(forKey: ObjectIdentifier(waiter)) } }
}

/// A topic: its name, settings and partitions.
final class Topic: @unchecked Sendable {
    let name: String
    let directory: String
    private let lock = Lock()
    private var _configuration: TopicConfiguration
    private var _partitions: [Partition]

    init(name: String, directory: String, configuration: TopicConfiguration, partitions: [Partition]) {
        self.name = name
        self.directory = directory
        _configuration = configuration
        _partitions = partitions
    }

    var configuration: TopicConfiguration { lock.withLock { _configuration } }
    var partitions: [Partition] { lock.withLock { _partitions } }
    var partitionCount: Int { lock.withLock { _partitions.count } }

    func partition(_ id: PartitionID) throws(BrokerError) -> Partition {
        try lock.withLock { () throws(BrokerError) in
            guard id.rawValue >= 0, Int(id.rawValue) < _partitions.count else {
                throw BrokerError.unknownPartition(TopicPartition(name, id), count: _partitions.count)
            }
            return _partitions[Int(id.rawValue)]
        }
    }

    func addPartitions(_ added: [Partition], configuration: TopicConfiguration) {
        lock.withLock {
            _partitions += added
            _configuration = configuration
        }
    }
}
