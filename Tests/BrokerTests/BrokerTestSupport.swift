import Broker
import Foundation
import Groups
import KafkaWire
import LogStore
import TestSupport

/// A broker in a temporary directory, reopened on the same directory by `restart()`.
final class TestBroker: @unchecked Sendable {
    let dir = TemporaryDirectory("broker")
    let clock: ManualClock?
    var configuration: BrokerConfiguration
    var broker: Broker

    init(clock: ManualClock? = nil, configure: (inout BrokerConfiguration) -> Void = { _ in }) throws {
        self.clock = clock
        configuration = BrokerConfiguration(dataDirectory: dir.path)
        configuration.groups.initialRebalanceDelayMs = 0
        configure(&configuration)
        broker = try Self.open(configuration, clock)
    }

    static func open(_ configuration: BrokerConfiguration, _ clock: ManualClock?) throws -> Broker {
        if let clock { return try Broker(configuration: configuration, clock: clock) }
        return try Broker(configuration: configuration)
    }

    /// Opens a copy of the data directory taken while the broker runs: what a crash at this
    /// moment leaves on disk (no clean-shutdown markers), so every partition goes through
    /// recovery. The running broker is then dropped without closing the copy's files.
    /// `damage` may change the image first (a power loss losing what was not fsynced).
    func crashAndRecover(damage: (String) throws -> Void = { _ in }) throws {
        let image = dir.path + "-crash"
        try? FileManager.default.removeItem(atPath: image)
        try FileManager.default.copyItem(atPath: dir.path, toPath: image)
        try damage(image)
        try broker.close()
        try FileManager.default.removeItem(atPath: dir.path)
        try FileManager.default.moveItem(atPath: image, toPath: dir.path)
        broker = try Self.open(configuration, clock)
        for topic in broker.topicNames() {
            let recovered = try broker.describeTopic(topic).partitions.allSatisfy { !$0.openedCleanly }
            precondition(recovered, "a crash image must go through recovery")
        }
    }

    /// Closes cleanly and opens again.
    func restart() throws {
        try broker.close()
        broker = try Self.open(configuration, clock)
    }

    deinit {
        try? broker.close()
        dir.remove()
    }
}

extension Broker {
    /// Every value in a partition from `from`, as strings.
    func values(_ id: TopicPartition, from: Offset = .zero) throws -> [String] {
        var result: [String] = []
        var next = from
        while next < (try bounds(id).end) {
            let read = try read(id, from: next, maxBytes: 1 << 20)
            for header in try RecordBatch.validateAll(read.bytes) { next = header.nextOffset }
            result += try TestBatches.values(read.bytes)
        }
        return result
    }
}

func bytes(_ string: String) -> [UInt8] { Array(string.utf8) }
