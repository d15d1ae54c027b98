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
        let fresh = try harness.broker.producerIDs.allocate().producerID
        #expect(fresh > ids.max()!)
        let freshFirst = try harness.broker.append(batch(producer: fresh, sequence: 0), to: id)
        #expect(try harness.broker.append(batch(producer: fresh, sequence: 0), to: id) == freshFirst)
        #expect(try harness.broker.bounds(id).end == Offset(18))
    }

    /// A snapshot that covers batches the log lost (a torn tail cut by recovery) is dropped:
    /// the producer's lost batch is accepted again when retried, its stored ones are still
    /// recognised.
    @Test func aSnapshotAheadOfTheRecoveredLogIsDropped() throws {
        let (harness, ids, first) = try snapshotAheadOfATornLog()
        #expect(try harness.broker.append(batch(producer: ids[0], sequence: 0), to: id) == first)
        #expect(try harness.broker.append(batch(producer: ids[0], sequence: 3), to: id).baseOffset == Offset(3))
        #expect(try harness.broker.values(id) == (0 ..< 6).map { "p\(ids[0])-s\($0)" })
    }

    /// Two batches of one producer, a clean close (the snapshot covers both), then the second
    /// batch torn as a crash would leave it and the broker reopened: recovery cuts it.
    func snapshotAheadOfATornLog() throws -> (TestBroker, [Int64], AppendResult) {
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
        return (harness, ids, first)
    }
    /// A damaged `producer-ids` file does not stop the broker: earlier producers are then
    /// treated as new (accepted at any sequence), and ids issued from now on are tracked.
    @Test func aDamagedProducerIDFileIsReplaced() throws {
        let clock = ManualClock()
        let harness = try TestBroker(clock: clock)
        try harness.broker.createTopic("t", configuration: TopicConfiguration(partitions: 1))
        let old = try harness.broker.producerIDs.allocate().producerID
        _ = try harness.broker.append(batch(producer: old, sequence: 0), to: id)
        try harness.broker.close()
        FileDamage.flipByte(harness.dir.file("producer-ids"), at: 6)
        clock.advance(by: 1)
        harness.broker = try TestBroker.open(harness.configuration, harness.clock)

        #expect(!harness.broker.producerIDs.issued(old))
        _ = try harness.broker.append(batch(producer: old, sequence: 0), to: id)
        #expect(try harness.broker.bounds(id).end == Offset(6), "an untracked retry is stored again")
        let new = try harness.broker.producerIDs.allocate().producerID
        _ = try harness.broker.append(batch(producer: new, sequence: 0), to: id)
        clock.advance(by: 1)
        try harness.restart()
        #expect(harness.broker.producerIDs.issued(new))
        _ = try harness.broker.append(batch(producer: new, sequence: 0), to: id)
        #expect(try harness.broker.bounds(id).end == Offset(9))
    }

    /// The log rolled after the producer's batches (other clients' traffic): the snapshot
    /// taken at the roll keeps the producer known through a crash, although its batches are no
    /// longer in the active segment; also through a power loss that loses the whole active
    /// segment (it was never fsynced), since the snapshot only covers the sealed ones.
    @Test(arguments: [false, true])
    func aSnapshotTakenAtARollCoversSealedSegments(losingTheActiveSegment: Bool) throws {
        let harness = try TestBroker()
        try harness.broker.createTopic("t", configuration: TopicConfiguration(partitions: 1, segmentBytes: 2048))
        let producer = try harness.broker.producerIDs.allocate().producerID
        let first = try harness.broker.append(batch(producer: producer, sequence: 0), to: id)
        for _ in 0 ..< 6 { _ = try harness.broker.append(TestBatches.make(5, valueSize: 200), to: id) }
        let description = try harness.broker.describeTopic("t").partitions[0]
        #expect(description.segments > 2)
        try harness.crashAndRecover { image in
            guard losingTheActiveSegment else { return }
            let segments = try FileManager.default.contentsOfDirectory(atPath: image + "/" + partitionDirectory).filter { $0.hasSuffix(".log") }
            FileDamage.truncate(image + "/" + partitionDirectory + "/" + segments.sorted().last!, to: 0)
        }
        #expect(try harness.broker.append(batch(producer: producer, sequence: 0), to: id) == first)
        let next = try harness.broker.append(batch(producer: producer, sequence: 3), to: id)
        #expect(next.lastOffset + 1 == (try harness.broker.bounds(id).end), "the next batch follows on")
    }

    /// A snapshot plus replayed batches keep exactly the last five batches: each replayed once.
    @Test func replayedBatchesJoinTheSnapshotsWindow() throws {
        let (harness, ids) = try harness()
        var results: [AppendResult] = []
        for sequence in stride(from: Int32(0), to: 9, by: 3) { results.append(try harness.broker.append(batch(producer: ids[0], sequence: sequence), to: id)) }
        try harness.restart()
        for sequence in stride(from: Int32(9), to: 18, by: 3) { results.append(try harness.broker.append(batch(producer: ids[0], sequence: sequence), to: id)) }
        try harness.crashAndRecover()
        for (index, sequence) in stride(from: Int32(3), to: 18, by: 3).enumerated() {
            #expect(try harness.broker.append(batch(producer: ids[0], sequence: sequence), to: id) == results[index + 1], "sequence \(sequence)")
        }
        let tooOld = #expect(throws: BrokerError.self) { try harness.broker.append(batch(producer: ids[0], sequence: 0), to: id) }
        #expect(tooOld?.code == .outOfOrderSequenceNumber)
        #expect(try harness.broker.bounds(id).end == Offset(18))
    }

    /// A snapshot dropped because recovery cut the log below it is replaced at once: after more
    /// appends and a second crash it must not pass for usable and answer a lost batch's retry
    /// with offsets that now hold other records.
    @Test func aDroppedSnapshotIsReplacedBeforeTheLogGrowsPastIt() throws {
        let (harness, ids, _) = try snapshotAheadOfATornLog()
        _ = try harness.broker.append(TestBatches.make(6), to: id)
        try harness.crashAndRecover()

        let retry = try harness.broker.append(batch(producer: ids[0], sequence: 3), to: id)
        #expect(retry.baseOffset == Offset(9), "the lost batch is stored, not taken for a duplicate")
        #expect(try Array(harness.broker.values(id).suffix(3)) == (3 ..< 6).map { "p\(ids[0])-s\($0)" })
    }
}
