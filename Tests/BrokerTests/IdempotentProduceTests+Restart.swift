import Broker
import Foundation
import KafkaWire
import LogStore
import TestSupport
import Testing

/// De-duplication across broker restarts: the partition's producer state is saved at a clean
/// close and rebuilt from the log after a crash, so a retry sent across a restart is still
/// recognised and a gap still refused.
extension IdempotentProduceTests {
    enum Reopening: String, CaseIterable, CustomTestStringConvertible {
        case clean, crash, crashAfterAnEarlierSnapshot, damagedSnapshot, missingSnapshot
        var testDescription: String { rawValue }
    }

    var partitionDirectory: String { "topics/t/0" }

    @Test(arguments: Reopening.allCases)
    func retriesAndGapsAreJudgedAlikeAfterReopening(_ reopening: Reopening) throws {
        let (harness, ids) = try harness()
        let first = try harness.broker.append(batch(producer: ids[0], sequence: 0), to: id)
        if reopening == .crashAfterAnEarlierSnapshot { try harness.restart() }
        let second = try harness.broker.append(batch(producer: ids[0], sequence: 3), to: id)
        _ = try harness.broker.append(batch(producer: 7, sequence: 0), to: id)
        let state = harness.dir.file(partitionDirectory + "/" + "producer-state")
        switch reopening {
        case .clean: try harness.restart()
        case .crash, .crashAfterAnEarlierSnapshot: try harness.crashAndRecover()
        case .damagedSnapshot, .missingSnapshot:
            try harness.broker.close()
            #expect(FileManager.default.fileExists(atPath: state), "a clean close saves the producer state")
            if reopening == .damagedSnapshot { FileDamage.flipByte(state, at: 12) } else { try FileManager.default.removeItem(atPath: state) }
            harness.broker = try TestBroker.open(harness.configuration, harness.clock)
        }

        #expect(try harness.broker.append(batch(producer: ids[0], sequence: 0), to: id) == first)
        #expect(try harness.broker.append(batch(producer: ids[0], sequence: 3), to: id) == second)
        let gap = #expect(throws: BrokerError.self) { try harness.broker.append(batch(producer: ids[0], sequence: 9), to: id) }
        #expect(gap?.code == .outOfOrderSequenceNumber)
        // A made-up id is still not tracked: the same batch again is stored again.
        _ = try harness.broker.append(batch(producer: 7, sequence: 0), to: id)
        #expect(try harness.broker.append(batch(producer: ids[0], sequence: 6), to: id).baseOffset == Offset(12))
        let fresh = harness.broker.producerIDs.allocate().producerID
        #expect(fresh > ids.max()!)
        let freshFirst = try harness.broker.append(batch(producer: fresh, sequence: 0), to: id)
        #expect(try harness.broker.append(batch(producer: fresh, sequence: 0), to: id) == freshFirst)
        #expect(try harness.broker.bounds(id).end == Offset(18))
    }

    /// A snapshot that covers batches the log lost (a torn tail cut by recovery) is dropped:
    /// the producer's lost batch is accepted again when retried, its stored ones are still
    /// recognised.
    @Test func aSnapshotAheadOfTheRecoveredLogIsDropped() throws {
        let (harness, ids) = try harness()
        let first = try harness.broker.append(batch(producer: ids[0], sequence: 0), to: id)
        _ = try harness.broker.append(batch(producer: ids[0], sequence: 3), to: id)
        try harness.broker.close()
        let directory = harness.dir.file(partitionDirectory)
        let segment = directory + "/00000000000000000000.log"
        FileDamage.truncate(segment, to: FileDamage.size(segment) - 5)
        try FileManager.default.removeItem(atPath: directory + "/.clean-shutdown")
        harness.broker = try TestBroker.open(harness.configuration, harness.clock)
        #expect(try harness.broker.bounds(id).end == Offset(3), "recovery cut the torn batch")

        #expect(try harness.broker.append(batch(producer: ids[0], sequence: 0), to: id) == first)
        #expect(try harness.broker.append(batch(producer: ids[0], sequence: 3), to: id).baseOffset == Offset(3))
        #expect(try harness.broker.values(id) == (0 ..< 6).map { "p\(ids[0])-s\($0)" })
    }

    /// A damaged `producer-ids` file does not stop the broker: earlier producers are then
    /// treated as new (accepted at any sequence), and ids issued from now on are tracked.
    @Test func aDamagedProducerIDFileIsReplaced() throws {
        let clock = ManualClock()
        let harness = try TestBroker(clock: clock)
        try harness.broker.createTopic("t", configuration: TopicConfiguration(partitions: 1))
        let old = harness.broker.producerIDs.allocate().producerID
        _ = try harness.broker.append(batch(producer: old, sequence: 0), to: id)
        try harness.broker.close()
        FileDamage.flipByte(harness.dir.file("producer-ids"), at: 6)
        clock.advance(by: 1)
        harness.broker = try TestBroker.open(harness.configuration, harness.clock)

        #expect(!harness.broker.producerIDs.issued(old))
        _ = try harness.broker.append(batch(producer: old, sequence: 0), to: id)
        #expect(try harness.broker.bounds(id).end == Offset(6), "an untracked retry is stored again")
        let new = harness.broker.producerIDs.allocate().producerID
        _ = try harness.broker.append(batch(producer: new, sequence: 0), to: id)
        clock.advance(by: 1)
        try harness.restart()
        #expect(harness.broker.producerIDs.issued(new))
        _ = try harness.broker.append(batch(producer: new, sequence: 0), to: id)
        #expect(try harness.broker.bounds(id).end == Offset(9))
    }
}
