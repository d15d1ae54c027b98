/// Kafka's murmur2 hash and the Java client's keyed-partition rule.
///
/// Seed 0x9747b28c, m 0x5bd1e995, r 24; the input is read as 4-byte little-endian words, the
/// tail bytes folded in at shifts 16/8/0. A key lands in `(hash & 0x7fffffff) % partitions`,
/// the placement of Kafka's Java client (and of kafka-python and kafkajs) for keyed records.
public enum Murmur2 {
    public static func hash<Bytes: Collection<UInt8>>(_ key: Bytes) -> UInt32 {
        if let result = key.withContiguousStorageIfAvailable({ hash(UnsafeRawBufferPointer($0)) }) {
            return result
        }
        return Array(key).withUnsafeBytes { hash($0) }
    }

    public static func hash(_ data: UnsafeRawBufferPointer) -> UInt32 {
        let m: UInt32 = 0x5bd1_e995
        let r: UInt32 = 24
        let length = data.count
        var h: UInt32 = 0x9747_b28c ^ UInt32(truncatingIfNeeded: length)
        var index = 0
        while index + 4 <= length {
            var k = UInt32(data[index]) | UInt32(data[index + 1]) << 8
                | UInt32(data[index + 2]) << 16 | UInt32(data[index + 3]) << 24
            k &*= m
            k ^= k >> r
            k &*= m
            h &*= m
            h ^= k
            index += 4
        }
        let tail = length & 3
        if tail == 3 { h ^= UInt32(data[index + 2]) << 16 }
        if tail >= 2 { h ^= UInt32(data[index + 1]) << 8 }
        if tail >= 1 {
            h ^= UInt32(data[index])
            h &*= m
        }
        h ^= h >> 13
        h &*= m
        h ^= h >> 15
        return h
    }

    /// The partition Kafka's Java client picks for `key` among `partitionCount` partitions.
    public static func partition<Bytes: Collection<UInt8>>(forKey key: Bytes, partitionCount: Int) -> PartitionID {
        precondition(partitionCount > 0, "a topic has at least one partition")
        let positive = hash(key) & 0x7fff_ffff
        return PartitionID(Int32(positive % UInt32(partitionCount)))
    }
}
