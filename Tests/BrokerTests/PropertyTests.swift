import Broker
import Groups
import KafkaWire
import LogStore
import RideModel
import TestSupport
import Testing

/// Random produce / fetch / restart / crash sequences checked against a plain in-memory model.
@Suite struct PropertyTests {
    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64])
    func randomOperationsMatchTheModel(seed: UInt64) throws {
        var random = SeededGenerator(seed: seed)
        let harness = try TestBroker { configuration in
            configuration.log.segmentBytes = 2048
            configuration.log.indexIntervalBytes = 256
        }
        let partitions = Int.random(in: 1 ... 4, using: &random)
        try harness.broker.createTopic("p", configuration: TopicConfiguration(partitions: partitions))
        var model: [[String]] = Array(repeating: [], count: partitions)
        var counter = 0
        for _ in 0 ..< 300 {
            let partition = Int.random(in: 0 ..< partitions, using: &random)
            let id = TopicPartition("p", PartitionID(partition))
            switch Int.random(in: 0 ..< 10, using: &random) {
            case 0 ..< 5:
                let count = Int.random(in: 1 ... 20, using: &random)
                var builder = RecordBatchBuilder(baseTimestamp: 1_000)
                for _ in 0 ..< count {
                    counter += 1
                    let value = "r\(counter)-" + String(repeating: "x", count: Int.random(in: 0 ... 60, using: &random))
                    builder.append(key: nil, value: Array(value.utf8), timestamp: 1_000)
                    model[partition].append(value)
                }
                let result = try harness.broker.append(builder.build(), to: id)
                #expect(result.lastOffset == Offset(Int64(model[partition].count - 1)))
            case 5 ..< 9:
                let offset = Int.random(in: 0 ... model[partition].count, using: &random)
                let maxBytes = Int.random(in: 1 ... 3000, using: &random)
                let read = try harness.broker.read(id, from: Offset(Int64(offset)), maxBytes: maxBytes)
                #expect(read.highWatermark == Offset(Int64(model[partition].count)))
                if offset == model[partition].count {
                    #expect(read.bytes.isEmpty)
                } else {
                    let headers = try RecordBatch.validateAll(read.bytes)
                    #expect(headers.first!.baseOffset <= Offset(Int64(offset)))
                    #expect(headers.first!.nextOffset > Offset(Int64(offset)))
                    let base = Int(headers.first!.baseOffset.rawValue)
                    let values = try TestBatches.values(read.bytes)
                    #expect(values == Array(model[partition][base ..< base + values.count]))
                }
            case 9 where Bool.random(using: &random):
                try harness.crashAndRecover()
            default:
                try harness.restart()
            }
        }
        for partition in 0 ..< partitions {
            #expect(try harness.broker.values(TopicPartition("p", PartitionID(partition))) == model[partition])
        }
    }
}
