import Foundation
import RidePipeline

/// Throughput samples of one figure across runs.
struct ThroughputSamples {
    var recordsPerSecond: [Double] = []
    var bytesPerSecond: [Double] = []

    mutating func add(records: Int, bytes: Int, seconds: Double) {
        recordsPerSecond.append(Double(records) / seconds)
        bytesPerSecond.append(Double(bytes) / seconds)
    }

    var medianRecords: Double { median(recordsPerSecond) }
    var medianMB: Double { median(bytesPerSecond) / 1e6 }
}

struct MemoryRun {
    var records: Int
    var peakRSSBytes: Int
}

/// Everything `bench broker` measured, printed as a table or one JSON object.
struct BrokerBenchReport {
    let records: Int
    let fsyncRecords: Int
    let batchBytes: Int
    let runs: Int
    let directory: String
    var append = ThroughputSamples()
    var appendFsync = ThroughputSamples()
    var read = ThroughputSamples()
    var diskWrite: [Double] = []
    var diskFsync: [Double] = []
    /// The broker reopened after a crash: the log scan plus the producer-state replay.
    var recoverySecondsPerGiB: [Double] = []
    /// The partition log alone reopened after a crash, the same run: the scan's share.
    var logRecoverySecondsPerGiB: [Double] = []
    var memory: [MemoryRun] = []

    var fsyncRatio: Double { appendFsync.medianMB / (median(diskFsync) / 1e6) }
    var memoryRatio: Double? {
        guard memory.count == 2, memory[0].peakRSSBytes > 0 else { return nil }
        return Double(memory[1].peakRSSBytes) / Double(memory[0].peakRSSBytes)
    }

    func table() -> String {
        func row(_ name: String, _ records: Double?, _ mb: Double, _ note: String = "") -> String {
            let recordText = records.map { String(format: "%12.0f", $0) } ?? String(repeating: " ", count: 11) + "-"
            return name.padding(toLength: 34, withPad: " ", startingAt: 0) + recordText + String(format: " %10.1f  ", mb) + note
        }
        var lines = [
            "RideStream broker benchmark: median of \(runs) run(s), \(records) records of 100-byte values, "
                + "\(batchBytes)-byte batches, on \(directory)",
            "figure".padding(toLength: 34, withPad: " ", startingAt: 0) + "   records/s       MB/s",
            row("append (page cache)", append.medianRecords, append.medianMB,
                String(format: "%.2fx the disk's plain write", append.medianMB / (median(diskWrite) / 1e6))),
            row("append, fsync per batch", appendFsync.medianRecords, appendFsync.medianMB,
                String(format: "%.0f%% of the disk's write+fdatasync", fsyncRatio * 100)),
            row("consumer read", read.medianRecords, read.medianMB),
            row("disk: plain sequential write", nil, median(diskWrite) / 1e6),
            row("disk: write + fdatasync each", nil, median(diskFsync) / 1e6),
            String(
                format: "recovery after unclean shutdown: %.2f s per GiB (the log scan alone: %.2f)",
                median(recoverySecondsPerGiB), median(logRecoverySecondsPerGiB)
            ),
        ]
        for run in memory {
            lines.append(String(format: "peak RSS appending %d records: %.1f MB", run.records, Double(run.peakRSSBytes) / 1e6))
        }
        if let memoryRatio { lines.append(String(format: "memory ratio large/small: %.2f", memoryRatio)) }
        return lines.joined(separator: "\n")
    }

    func json() -> String {
        var object: [String: Any] = [
            "records": records, "fsync_records": fsyncRecords, "batch_bytes": batchBytes, "runs": runs,
            "append_records_per_s": append.medianRecords.rounded(),
            "append_mb_per_s": append.medianMB,
            "append_fsync_records_per_s": appendFsync.medianRecords.rounded(),
            "append_fsync_mb_per_s": appendFsync.medianMB,
            "read_records_per_s": read.medianRecords.rounded(),
            "read_mb_per_s": read.medianMB,
            "disk_write_mb_per_s": median(diskWrite) / 1e6,
            "disk_fsync_mb_per_s": median(diskFsync) / 1e6,
            "append_fsync_vs_disk_fsync": fsyncRatio,
            "recovery_seconds_per_gib": median(recoverySecondsPerGiB),
            "log_recovery_seconds_per_gib": median(logRecoverySecondsPerGiB),
        ]
        if memory.count == 2 {
            object["memory_small_records"] = memory[0].records
            object["memory_small_peak_rss_bytes"] = memory[0].peakRSSBytes
            object["memory_large_records"] = memory[1].records
            object["memory_large_peak_rss_bytes"] = memory[1].peakRSSBytes
            object["memory_ratio"] = memoryRatio
        }
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }
}
