import Broker
import Foundation
import Glibc
import KafkaWire
import LogStore
import TestSupport
import Testing

/// The broker on a real, tiny file system filled up: producers get KAFKA_STORAGE_ERROR, the
/// failed partition takes no more appends until the broker reopens it, the others and every
/// read go on, and a shutdown on the full disk closes what it can.
@Suite(.serialized, .enabled(if: getuid() == 0, "mounting a tmpfs needs root")) struct StorageErrorTests {
    @Test func aFullDiskTakesOnePartitionOfflineAndTheRestGoesOn() throws {
        let disk = try #require(SmallDisk.mount(bytes: 2 << 20))
        defer { disk.unmount() }
        let configuration = BrokerConfiguration(dataDirectory: disk.file("data"))
        var broker: Broker? = try Broker(configuration: configuration)
        try broker!.createTopic("t", configuration: TopicConfiguration(partitions: 2))
        let p0 = TopicPartition("t", PartitionID(0))
        let p1 = TopicPartition("t", PartitionID(1))
        _ = try broker!.append(TestBatches.make(5, prefix: "p1-first"), to: p1)
        disk.fill()
        var failure: BrokerError?
        var stored = 0
        for index in 0 ..< 200 {
            do {
                _ = try broker!.append(TestBatches.make(10, prefix: "b\(index)", valueSize: 300), to: p0)
                stored += 10
            } catch {
                failure = error
                break
            }
        }
        #expect(failure?.code == .kafkaStorageError, "\(String(describing: failure))")
        #expect(failure?.message.contains("No space left on device") == true)

        disk.free()
        let offline = #expect(throws: BrokerError.self) { _ = try broker!.append(TestBatches.make(1, prefix: "late"), to: p0) }
        #expect(offline?.code == .kafkaStorageError)
        #expect(offline?.message.contains("takes no appends since a write failed") == true, "\(String(describing: offline))")
        _ = try broker!.append(TestBatches.make(5, prefix: "p1-second"), to: p1)
        #expect(try broker!.values(p0).count == stored)
        #expect(try broker!.values(p1).count == 10)

        try broker!.close()
        broker = nil
        let reopened = try Broker(configuration: configuration)
        #expect(try reopened.values(p0).count == stored)
        let after = try reopened.append(TestBatches.make(1, prefix: "after"), to: p0)
        #expect(after.baseOffset == Offset(Int64(stored)))
        try reopened.close()
    }
}
