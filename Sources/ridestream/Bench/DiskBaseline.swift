import RidePipeline

#if canImport(Glibc)
import Glibc
#endif

/// The machine's own sequential write bandwidth, measured with plain `write` calls on the disk
/// the benchmark uses, as the baseline the log's figures are compared with.
enum DiskBaseline {
    /// Writes `totalBytes` in `chunkBytes` writes to a new file in `directory`; with
    /// `syncEachChunk`, `fdatasync` after every chunk. Returns bytes per second.
    static func sequentialWrite(directory: String, totalBytes: Int, chunkBytes: Int, syncEachChunk: Bool) throws -> Double {
        let path = directory + "/disk-baseline.bin"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw BenchError("cannot create \(path): \(String(cString: strerror(errno)))") }
        defer {
            close(fd)
            unlink(path)
        }
        let chunk = [UInt8](repeating: 0x5a, count: chunkBytes)
        var written = 0
        let seconds = try Stopwatch.time {
            while written < totalBytes {
                let result = chunk.withUnsafeBytes { write(fd, $0.baseAddress, chunkBytes) }
                guard result == chunkBytes else { throw BenchError("short write to \(path): \(String(cString: strerror(errno)))") }
                if syncEachChunk { fdatasync(fd) }
                written += chunkBytes
            }
        }
        return Double(written) / seconds
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
