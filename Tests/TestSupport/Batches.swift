import KafkaWire

/// Builds test batches.
public enum TestBatches {
    /// A batch of `count` records with values "<prefix>-<i>" and keys "k<i>".
    public static func make(_ count: Int, prefix: String = "v", timestamp: Int64 = 1_700_000_000_000, valueSize: Int? = nil) -> [UInt8] {
        var builder = RecordBatchBuilder(baseTimestamp: timestamp)
        for index in 0 ..< count {
            var value = Array("\(prefix)-\(index)".utf8)
            if let valueSize { value += [UInt8](repeating: 0x2e, count: max(0, valueSize - value.count)) }
            builder.append(key: Array("k\(index)".utf8), value: value, timestamp: timestamp + Int64(index))
        }
        return builder.build()
    }

    /// The values of every record in back-to-back batches, as strings.
    public static func values(_ bytes: [UInt8]) throws -> [String] {
        var result: [String] = []
        var position = 0
        while position < bytes.count {
            let header = try bytes.withRawBytes { (raw) throws(WireError) in try RecordBatchHeader.parse(raw, at: position) }
            try RecordBatch.forEachRecord(in: bytes, at: position) { record in
                result.append(String(decoding: record.value ?? [], as: UTF8.self))
            }
            position += header.totalSize
        }
        return result
    }
}
