import Foundation
import Broker
import KafkaWire
import LogStore
import Logging

/// The records the broker benchmark produces: 8-byte driver-id keys and 100-byte values.
enum BrokerWorkload {
    static let topic = "bench"
    static let valueBytes = 100

    static func value(_ index: Int) -> [UInt8] {
        var value = [UInt8](repeating: 0x2e, count: valueBytes)
        var n = index
        for position in 0 ..< 12 {
            value[position] = UInt8(0x30 + n % 10)
            n /= 10
        }
        return value
    }

    static func key(_ index: Int) -> [UInt8] {
        Array("drv-\(1000 + index % 9000)".utf8)
    }

    /// Opens a fresh broker in `directory` with one single-partition topic.
    static func freshBroker(_ directory: String, flush: FlushPolicy) throws -> Broker {
        try? FileSystemCleaner.remove(directory)
        var configuration = BrokerConfiguration(dataDirectory: directory)
        configuration.log.flush = flush
        var logger = Logger(label: "ridestream.bench")
        logger.logLevel = .warning
        let broker = try Broker(configuration: configuration, logger: logger)
        try broker.createTopic(topic, configuration: TopicConfiguration(partitions: 1))
        return broker
    }

    /// Produces `count` records through the in-process producer and flushes.
    static func produce(_ broker: Broker, count: Int, batchBytes: Int) async throws {
        var configuration = ProducerConfiguration()
        configuration.batchBytes = batchBytes
        configuration.partitioner = .roundRobin
        let producer = Producer(broker: broker, configuration: configuration)
        let values = (0 ..< 1024).map(value)
        let keys = (0 ..< 1024).map(key)
        let partition = PartitionID(0)
        for index in 0 ..< count {
            try await producer.send(ProducerRecord(
                topic: topic, partition: partition, key: keys[index & 1023], value: values[index & 1023], timestamp: 1_700_000_000_000
            ))
        }
        try await producer.close()
    }

    static func logBytes(_ broker: Broker) throws -> Int {
        try broker.describeTopic(topic).partitions.reduce(0) { $0 + $1.sizeInBytes }
    }
}

enum FileSystemCleaner {
    static func remove(_ path: String) throws {
        if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
    }
}
