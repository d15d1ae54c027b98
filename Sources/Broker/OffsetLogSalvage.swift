import Foundation
import KafkaWire
import LogStore

/// What can still be read from a damaged committed-offsets log: every batch whose CRC-32C
/// holds, in file order, found by walking each segment file and, past a damaged stretch,
/// trying each following byte until a whole valid batch starts there.
///
/// The offsets log is a changelog of small commits, so keeping every readable commit loses
/// only the commits in the damaged bytes: a group whose newest commit was there restarts from
/// its commit before (RideStream's sinks keep their own offsets, so they are not affected).
struct OffsetLogSalvage {
    /// Damaged stretches, as "file bytes A ..< B".
    private(set) var damaged: [String] = []
    private(set) var batches = 0

    /// Walks the segment files of `directory`, calling `body` with each readable batch's bytes.
    init(directory: String, _ body: ([UInt8]) throws(WireError) -> Void) throws(BrokerError) {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".log") }.sorted()
        for name in names {
            let path = directory + "/" + name
            guard let data = FileManager.default.contents(atPath: path) else {
                throw BrokerError(.kafkaStorageError, "\(path): cannot read the committed-offsets log")
            }
            let bytes = [UInt8](data)
            var position = 0
            var damageStart: Int?
            while position + RecordBatchHeader.size <= bytes.count {
                let size = bytes.withUnsafeBytes { raw -> Int? in
                    (try? RecordBatch.validate(raw, at: position)).map(\.totalSize)
                }
                guard let size else {
                    if damageStart == nil { damageStart = position }
                    position += 1
                    continue
                }
                if let start = damageStart {
                    damaged.append("\(path) bytes \(start) ..< \(position)")
                    damageStart = nil
                }
                do {
                    try body(Array(bytes[position ..< position + size]))
                    batches += 1
                } catch {
                    damaged.append("\(path) bytes \(position) ..< \(position + size) (\(error.message))")
                }
                position += size
            }
            if position < bytes.count || damageStart != nil {
                damaged.append("\(path) bytes \(damageStart ?? position) ..< \(bytes.count)")
            }
        }
    }
}
