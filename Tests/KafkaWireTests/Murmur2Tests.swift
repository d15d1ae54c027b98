import KafkaWire
import Testing

@Suite struct Murmur2Tests {
    /// Kafka's Java client places these keys in these partitions of a 1000-partition topic.
    @Test(arguments: [("", 681), ("a", 524), ("ab", 434), ("abc", 107), ("123456789", 566)])
    func javaClientPlacement(key: String, partition: Int) {
        #expect(Murmur2.partition(forKey: Array(key.utf8), partitionCount: 1000) == PartitionID(partition))
    }

    /// Hash values from Kafka's UtilsTest.testMurmur2.
    @Test func kafkaHashVectors() {
        let cases: [(String, Int32)] = [
            ("21", -973_932_308), ("foobar", -790_332_482), ("a-little-bit-long-string", -985_981_536),
            ("a-little-bit-longer-string", -1_486_304_829),
            ("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58_897_971), ("abc", 479_470_107),
        ]
        for (key, expected) in cases {
            #expect(Int32(bitPattern: Murmur2.hash(Array(key.utf8))) == expected, "\(key)")
        }
    }
}
