import Broker
import Foundation
import KafkaWire
import LogStore
import TestSupport
import Testing

/// Real damage in the committed-offsets log: what can still be read is kept, what was lost is
/// said, and a read-only open writes nothing.
@Suite struct OffsetStoreDamageTests {
    static let offsetsLog = "internal/consumer-offsets/00000000000000000000.log"

    /// Ten groups, each committing offset 100 + its number to partitions 0 and 1, one batch each.
    static func brokerWithCommits(_ dir: TemporaryDirectory) throws -> [Int] {
        let broker = try Broker(configuration: BrokerConfiguration(dataDirectory: dir.path))
        var ends: [Int] = []
        for group in 0 ..< 10 {
            let offsets = Dictionary(uniqueKeysWithValues: (0 ..< 2).map {
                (TopicPartition("t", PartitionID($0)), CommittedOffset(offset: Offset(Int64(100 + group))))
            })
            try broker.offsets.commit(group: "g\(group)", offsets: offsets)
            ends.append(FileDamage.size(dir.file(offsetsLog)))
        }
        try broker.close()
        return ends
    }

    @Test func damageInTheMiddleKeepsEveryOtherCommitAndSaysWhatWasLost() throws {
        let dir = TemporaryDirectory("offsets-damage")
        defer { dir.remove() }
        let ends = try Self.brokerWithCommits(dir)
        // Garbage over the fifth group's batch, and the log not closed cleanly.
        let log = dir.file(Self.offsetsLog)
        for byte in ends[3] + 10 ..< ends[3] + 26 { FileDamage.flipByte(log, at: byte) }
        try FileManager.default.removeItem(atPath: dir.file("internal/consumer-offsets/.clean-shutdown"))
        let before = FileDamage.size(log)

        // Read-only first: the commits are read, nothing is written or moved.
        var readOnly = BrokerConfiguration(dataDirectory: dir.path)
        readOnly.readOnly = true
        let inspected = try Broker(configuration: readOnly)
        #expect(inspected.offsets.groups() == (0 ..< 10).filter { $0 != 4 }.map { "g\($0)" })
        #expect(inspected.offsets.damage?.contains("kept 18 committed offsets of 9 groups") == true, "\(String(describing: inspected.offsets.damage))")
        try inspected.close()
        #expect(FileDamage.size(log) == before)
        #expect(!FileManager.default.fileExists(atPath: dir.file("internal/consumer-offsets.damaged")))

        let broker = try Broker(configuration: BrokerConfiguration(dataDirectory: dir.path))
        #expect(broker.offsets.groups().count == 9)
        #expect(broker.offsets.committed(group: "g9", partition: TopicPartition("t", PartitionID(1)))?.offset == Offset(109))
        #expect(broker.offsets.damage?.contains("consumer-offsets/00000000000000000000.log bytes \(ends[3]) ..< ") == true, "\(String(describing: broker.offsets.damage))")
        #expect(FileManager.default.fileExists(atPath: dir.file("internal/consumer-offsets.damaged/00000000000000000000.log")))
        // The fresh log takes commits and keeps the salvaged ones across a restart.
        try broker.offsets.commit(group: "g4", offsets: [TopicPartition("t", PartitionID(0)): CommittedOffset(offset: Offset(7))])
        try broker.close()
        let reopened = try Broker(configuration: BrokerConfiguration(dataDirectory: dir.path))
        #expect(reopened.offsets.damage == nil)
        #expect(reopened.offsets.groups().count == 10)
        #expect(reopened.offsets.committed(group: "g0", partition: TopicPartition("t", PartitionID(0)))?.offset == Offset(100))
        try reopened.close()
    }
}
