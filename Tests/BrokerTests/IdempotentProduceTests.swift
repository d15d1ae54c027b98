import Broker
import KafkaWire
import LogStore
import TestSupport
import Testing

/// Idempotent producers: batches carrying a producer id, epoch and sequence are appended once
/// however often they are retried, and gaps or stale epochs are refused. Producer ids come
/// from the broker (InitProducerId); made-up ids are not tracked.
@Suite struct IdempotentProduceTests {
    let id = TopicPartition("t", PartitionID(0))

    func harness(partitions: Int = 1) throws -> (TestBroker, [Int64]) {
        let harness = try TestBroker()
        try harness.broker.createTopic("t", configuration: TopicConfiguration(partitions: partitions))
        return (harness, try (0 ..< 3).map { _ in try harness.broker.producerIDs.allocate().producerID })
    }

    func batch(producer: Int64, epoch: Int16 = 0, sequence: Int32, records: Int = 3) -> [UInt8] {
        var builder = RecordBatchBuilder(baseTimestamp: 1_700_000_000_000, producerId: producer, producerEpoch: epoch, baseSequence: sequence)
        for index in 0 ..< records { builder.append(key: nil, value: Array("p\(producer)-s\(Int(sequence) + index)".utf8), timestamp: 1_700_000_000_000) }
        return builder.build()
    }

    @Test func aRetriedBatchIsAnsweredWithItsFirstOffsetsAndStoredOnce() throws {
        let (harness, ids) = try harness()
        let first = try harness.broker.append(batch(producer: ids[0], sequence: 0), to: id)
        let second = try harness.broker.append(batch(producer: ids[0], sequence: 3), to: id)
        // Both retried (their responses were lost), in order and out of order.
        #expect(try harness.broker.append(batch(producer: ids[0], sequence: 0), to: id) == first)
        #expect(try harness.broker.append(batch(producer: ids[0], sequence: 3), to: id) == second)
        let third = try harness.broker.append(batch(producer: ids[0], sequence: 6), to: id)
        #expect(third.baseOffset == Offset(6))
        #expect(try harness.broker.values(id) == (0 ..< 9).map { "p\(ids[0])-s\($0)" })
    }

    @Test func gapsAreRefusedAndNothingIsStored() throws {
        let (harness, ids) = try harness()
        _ = try harness.broker.append(batch(producer: ids[0], sequence: 0), to: id)
        let error = #expect(throws: BrokerError.self) { try harness.broker.append(batch(producer: ids[0], sequence: 5), to: id) }
        #expect(error?.code == .outOfOrderSequenceNumber)
        #expect(error?.message.contains("sent sequence 5, expected 3") == true)
        #expect(try harness.broker.bounds(id).end == Offset(3))
    }

    @Test func anOlderEpochIsFencedAndANewerOneStartsAtZero() throws {
        let (harness, ids) = try harness()
        _ = try harness.broker.append(batch(producer: ids[0], epoch: 1, sequence: 0), to: id)
        let stale = #expect(throws: BrokerError.self) { try harness.broker.append(batch(producer: ids[0], epoch: 0, sequence: 3), to: id) }
        #expect(stale?.code == .invalidProducerEpoch)
        let jump = #expect(throws: BrokerError.self) { try harness.broker.append(batch(producer: ids[0], epoch: 2, sequence: 3), to: id) }
        #expect(jump?.code == .outOfOrderSequenceNumber)
        _ = try harness.broker.append(batch(producer: ids[0], epoch: 2, sequence: 0), to: id)
        #expect(try harness.broker.bounds(id).end == Offset(6))
    }

    @Test func producersAreTrackedPerPartitionAndIndependently() throws {
        let (harness, ids) = try harness(partitions: 2)
        let other = TopicPartition("t", PartitionID(1))
        _ = try harness.broker.append(batch(producer: ids[1], sequence: 0), to: id)
        _ = try harness.broker.append(batch(producer: ids[2], sequence: 0), to: id)
        _ = try harness.broker.append(batch(producer: ids[1], sequence: 0), to: other)
        _ = try harness.broker.append(batch(producer: ids[1], sequence: 3), to: id)
        #expect(try harness.broker.bounds(id).end == Offset(9))
        #expect(try harness.broker.bounds(other).end == Offset(3))
        // A batch without a producer id is never de-duplicated.
        let plain = TestBatches.make(2)
        _ = try harness.broker.append(plain, to: id)
        _ = try harness.broker.append(plain, to: id)
        #expect(try harness.broker.bounds(id).end == Offset(13))
    }

    @Test func sequencesWrapAroundAtInt32Max() throws {
        let (harness, ids) = try harness()
        _ = try harness.broker.append(batch(producer: ids[2], sequence: Int32.max - 1, records: 2), to: id)
        _ = try harness.broker.append(batch(producer: ids[2], sequence: 0, records: 2), to: id)
        #expect(try harness.broker.bounds(id).end == Offset(4))
    }

    @Test func idsTheBrokerDidNotIssueAreNotTracked() throws {
        let (harness, _) = try harness()
        _ = try harness.broker.append(batch(producer: 7, sequence: 0), to: id)
        _ = try harness.broker.append(batch(producer: 7, sequence: 0), to: id)
        _ = try harness.broker.append(batch(producer: 7, sequence: 40), to: id)
        #expect(try harness.broker.bounds(id).end == Offset(9))
    }

    @Test func aCorruptRetryIsRefusedNotTakenForADuplicate() throws {
        let (harness, ids) = try harness()
        let original = batch(producer: ids[0], sequence: 0)
        _ = try harness.broker.append(original, to: id)
        var corrupt = original
        corrupt[corrupt.count - 1] ^= 0xff
        let error = #expect(throws: BrokerError.self) { try harness.broker.append(corrupt, to: id) }
        #expect(error?.code == .corruptMessage)
    }

    @Test func producerIDsAreUniqueAndIncreaseAcrossRestarts() throws {
        let clock = ManualClock()
        let harness = try TestBroker(clock: clock)
        let ids = try (0 ..< 100).map { _ in try harness.broker.producerIDs.allocate().producerID }
        #expect(Set(ids).count == 100)
        clock.advance(by: 1)
        try harness.restart()
        let afterRestart = try harness.broker.producerIDs.allocate().producerID
        #expect(afterRestart > ids.max()!)
        // A clock that went back (a restored VM) must not hand out an id again.
        clock.advance(by: -3_600_000)
        try harness.crashAndRecover()
        #expect(try harness.broker.producerIDs.allocate().producerID > afterRestart)
    }
}
