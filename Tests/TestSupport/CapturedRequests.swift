/// Request frames (header and body, without the size prefix) captured byte for byte from the
/// real clients talking to `ridestream broker serve` through a recording proxy: kcat 1.7
/// (librdkafka 2.0.2), confluent-kafka 2.16.1 (librdkafka 2.16.0) and kafka-python 3.0.12.
public enum CapturedRequests {
    /// kcat: ApiVersions v3, flexible header, client software "librdkafka" 2.0.2.
    public static let kcatApiVersions = "0012000300000001000772646b61666b61000b6c696272646b61666b6106322e302e3200"
    /// kcat -L: Metadata v4 for all topics (empty list), auto-creation off.
    public static let kcatMetadata = "0003000400000003000772646b61666b610000000000"
    /// kcat -P -K: Produce v7, acks -1, topic "cap" partition 0, keys k1/k2, values hello/world.
    public static let kcatProduce = """
        0000000700000004000772646b61666b61ffffffff0000753000000001000363617000000001000000000000005900000000000000000000004d\
        00000000023e87be0c000000000001000001a2128f547d000001a2128f547dffffffffffffffffffffffffffff000000021a000000046b310a68\
        656c6c6f001a000002046b320a776f726c6400
        """
    /// confluent-kafka: ApiVersions v3, client software "confluent-kafka-python" 2.16.1.
    public static let confluentApiVersions = """
        0012000300000001000772646b61666b610017636f6e666c75656e742d6b61666b612d707974686f6e16322e31362e312d72646b61666b612d32\
        2e31362e3000
        """
    /// confluent-kafka AdminClient: CreateTopics v4, "cf-topic" with 2 partitions, replication 1.
    public static let confluentCreateTopics = "0013000400000004000772646b61666b6100000001000863662d746f70696300000002000100000000000000000000ea6000"
    /// confluent-kafka Producer (acks=all): Produce v8, "cf-topic" partition 1, key "k", value "v".
    public static let confluentProduce = """
        0000000800000003000772646b61666b61ffffffff0000753000000001000863662d746f70696300000001000000010000004600000000000000\
        000000003a0000000002e99b8dd80000000000000000018bcfe568000000018bcfe56800ffffffffffffffffffffffffffff0000000110000000\
        026b027600
        """
    /// kafka-python: ApiVersions v4, client software "kafka-python" 3.0.12.
    public static let kafkaPythonApiVersions = "001200040000000100086b702d61646d696e000d6b61666b612d707974686f6e07332e302e313200"
    /// kafka-python admin: CreateTopics v4, "kp-rides" with 3 partitions and retention.ms=86400000.
    public static let kafkaPythonCreateTopics = """
        001300040000000300086b702d61646d696e0000000100086b702d72696465730000000300010000000000000001000c726574656e74696f6e2e\
        6d73000838363430303030300000753000
        """
    /// kafka-python admin: CreatePartitions v1, "kp-rides" to 6 partitions, no assignment (null).
    public static let kafkaPythonCreatePartitions = "002500010000000800086b702d61646d696e0000000100086b702d726964657300000006ffffffff0000753000"
    /// kafka-python admin: DescribeConfigs v3, topic "kp-rides", all keys, no synonyms.
    public static let kafkaPythonDescribeConfigs = "002000030000000a00086b702d61646d696e000000010200086b702d7269646573ffffffff0000"
    /// kafka-python admin: ListGroups v2 (empty body).
    public static let kafkaPythonListGroups = "001000020000000c00086b702d61646d696e"
    /// kafka-python admin: DescribeGroups v4 for "kp-group", authorized operations asked for.
    public static let kafkaPythonDescribeGroups = "000f00040000000e00086b702d61646d696e0000000100086b702d67726f757001"
    /// kafka-python idempotent producer: InitProducerId v1, no transactional id.
    public static let kafkaPythonInitProducerId = "001600010000000200026b70ffff00000000"
    /// kafka-python idempotent producer: Produce v8, "rides" partition 0, producer id
    /// 0x66118919c54f8 epoch 0 sequence 0, key "driver-7".
    public static let kafkaPythonIdempotentProduce = """
        000000080000000400026b70ffffffff00007530000000010005726964657300000001000000000000005900000000000000000000004d000000\
        0002211e0c110000000000000000018bcfe568000000018bcfe5680000066118919c54f80000000000000000000136000000106472697665722d\
        371a7b226c6174223a31322e39377d00
        """

    /// Every captured frame, as bytes.
    public static var all: [[UInt8]] {
        [
            kcatApiVersions, kcatMetadata, kcatProduce, confluentApiVersions, confluentCreateTopics, confluentProduce,
            kafkaPythonApiVersions, kafkaPythonCreateTopics, kafkaPythonCreatePartitions, kafkaPythonDescribeConfigs,
            kafkaPythonListGroups, kafkaPythonDescribeGroups, kafkaPythonInitProducerId, kafkaPythonIdempotentProduce,
        ].map(fromHex)
    }
}
