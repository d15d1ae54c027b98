import KafkaWire
import LogStore

/// What `verify` found in one partition.
public struct PartitionCheck: Hashable, Sendable {
    public var partition: TopicPartition
    public var records: Int
    public var batches: Int
    /// What is wrong, empty when nothing is.
    public var problems: [String]
    /// What is worth knowing but not wrong (a torn tail the next writable open cuts).
    public var notes: [String]
}

extension Broker {
    /// Reads every batch of every partition from its log start to its end, each one's
    /// CRC-32C checked on the way (`PartitionLog.read`), and checks that the offsets follow on
    /// without a gap. For `ridestream verify`, on a broker opened read-only.
    public func verifyPartitions() -> [PartitionCheck] {
        var checks: [PartitionCheck] = []
        for name in topicNames() {
            guard let topic = try? topic(name) else { continue }
            for partition in topic.partitions {
                checks.append(Self.verify(partition.log, id: partition.id))
            }
        }
        return checks
    }

    private static func verify(_ log: PartitionLog, id: TopicPartition) -> PartitionCheck {
        var check = PartitionCheck(partition: id, records: 0, batches: 0, problems: [], notes: [])
        let recovery = log.recovery
        if recovery.truncatedBytes > 0 {
            check.notes.append(
                "not closed cleanly: a torn tail of \(recovery.truncatedBytes) bytes (\(recovery.truncatedRecords) records) "
                    + "after offset \(log.logEndOffset) is cut by the next run or server (\(recovery.problem ?? "damaged"))"
            )
        }
        var next = log.logStartOffset
        let end = log.logEndOffset
        while next < end {
            do {
                let read = try log.read(from: next, maxBytes: 4 << 20)
                guard !read.bytes.isEmpty else {
                    check.problems.append("offsets \(next) ..< \(end) cannot be read: the segments end early")
                    break
                }
                var position = 0
                while position < read.bytes.count {
                    let header = try read.bytes.withRawBytes { (raw) throws(WireError) in try RecordBatchHeader.parse(raw, at: position) }
                    if header.baseOffset > next {
                        check.problems.append("offsets \(next) ..< \(header.baseOffset) are missing")
                    } else if header.nextOffset <= next {
                        check.problems.append("batch at offset \(header.baseOffset) repeats offsets before \(next)")
                    }
                    check.records += Int(header.recordsCount)
                    check.batches += 1
                    next = header.nextOffset
                    position += header.totalSize
                }
            } catch {
                check.problems.append("\(error)")
                break
            }
        }
        return check
    }
}
