#if KafkaCluster
import Foundation
import Synchronization
import KafkaCluster
import TestSupport
import Testing

/// The librdkafka clients of cluster mode against `ridestream broker serve` (a Kafka-protocol
/// cluster of one). Built and run with `swift test --traits KafkaCluster`.
@Suite(.serialized) struct KafkaClientTests {
    @Test func adminProducerAndConsumer() async throws {
        let server = try await InteropServer.start()
        try await onOwnThread { try Self.adminProducerAndConsumer(server) }
        #expect(await server.stop() == 0)
    }

    static func adminProducerAndConsumer(_ server: InteropServer) throws {
        let settings = KafkaSettings(bootstrapServers: server.bootstrap)
        let admin = try KafkaAdminClient(settings: settings)
        #expect(try admin.createTopic("orders", partitions: 4, replicationFactor: 1))
        #expect(try admin.createTopic("orders", partitions: 4, replicationFactor: 1) == false, "already there")
        #expect(try admin.partitionCount("orders") == 4)
        let refused = #expect(throws: KafkaClusterError.self) { try admin.createTopic("copies", partitions: 1, replicationFactor: 3) }
        #expect(refused?.message.contains("replication factor 3") == true, "\(refused?.message ?? "")")

        let producer = try KafkaProducerClient(settings: settings)
        for index in 0 ..< 2000 {
            try producer.send(
                topic: "orders", partition: Int32(index % 4), key: Array("k\(index)".utf8), value: Array("v\(index)".utf8),
                timestamp: 1_700_000_000_000 + Int64(index)
            )
        }
        try producer.flush()
        #expect(producer.delivered == 2000)
        for partition in 0 ..< 4 {
            let marks = try admin.watermarks("orders", partition: Int32(partition))
            #expect(marks.low == 0 && marks.high == 500)
        }

        // Partition 0 starts where the listener says (offset 100), the others at the start.
        let assigned = Mutex<[KafkaTopicPartition]>([])
        let consumer = try KafkaConsumerClient(
            settings: settings, groupID: "g", clientID: "reader", topics: ["orders"],
            listener: KafkaRebalanceListener(onAssigned: { partitions in
                assigned.withLock { $0 = partitions }
                return [KafkaTopicPartition("orders", 0): 100]
            })
        )
        var values: [String] = []
        let deadline = Date().addingTimeInterval(30)
        while values.count < 1900, Date() < deadline {
            for message in try consumer.poll(maxMessages: 500, timeoutMs: 200) {
                values.append(String(decoding: message.value, as: UTF8.self))
                #expect(message.timestamp >= 1_700_000_000_000)
            }
        }
        #expect(assigned.withLock { $0 }.sorted() == (0 ..< 4).map { KafkaTopicPartition("orders", Int32($0)) })
        #expect(values.count == 1900)
        #expect(Set(values).count == 1900, "each once")
        #expect(!values.contains("v396") && values.contains("v400"), "partition 0 from offset 100")
        try consumer.commit([KafkaTopicPartition("orders", 1): 500, KafkaTopicPartition("orders", 2): 250])
        consumer.close()

        // A new member of the group starts from the commits (and the beginning elsewhere).
        let second = try KafkaConsumerClient(settings: settings, groupID: "g", clientID: "again", topics: ["orders"])
        var again: [String] = []
        let until = Date().addingTimeInterval(30)
        while again.count < 1250, Date() < until {
            again += try second.poll(maxMessages: 500, timeoutMs: 200).map { String(decoding: $0.value, as: UTF8.self) }
        }
        #expect(again.count == 1250, "partitions 0 and 3 whole, 2 from 250, 1 nothing")
        second.close()
    }

    @Test func badClientPropertiesAreNamed() {
        let error = #expect(throws: KafkaClusterError.self) {
            try KafkaProducerClient(settings: KafkaSettings(bootstrapServers: "127.0.0.1:1", properties: ["no.such.setting": "1"]))
        }
        #expect(error?.message.contains("no.such.setting=1") == true, "\(error?.message ?? "")")
    }
}
#endif
