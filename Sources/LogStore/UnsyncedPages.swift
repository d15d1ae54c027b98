#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a file's writes look like to a disk that keeps only what was fsynced: the bytes
/// written since the last `sync` live here, in pages, and reach the real file only when the
/// file is synced. Reads see them (a process reads its own writes, as through the page cache);
/// a power loss (`PowerLossSimulation.losePower`, or the process killed) drops them.
///
/// Shared by every `FileDescriptor` open on the same file (by device and inode), so two
/// handles see one file.
///
/// Invariant: the file's logical contents are, for each position below `size`, the cached
/// page's byte where a page is cached, else the real file's byte below `realFloor`, else 0.
/// `realFloor` is the smallest size the file had since its last sync (a truncation hides the
/// real bytes beyond it even if the file grows again).
final class UnsyncedPages: @unchecked Sendable {
    static let pageSize = 4096

    let lock = Lock()
    private var pages: [Int: [UInt8]] = [:]
    private var size: Int
    private var realFloor: Int
    /// Set by a power loss: the file takes no more reads, writes or syncs.
    private var lost = false

    init(realSize: Int) {
        size = realSize
        realFloor = realSize
    }

    /// The file's logical size.
    var currentSize: Int { lock.withLock { size } }

    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int, real fd: Int32, path: String) throws(LogError) {
        try lock.withLock { () throws(LogError) in
            try requireLive(path)
            try forEachPiece(at: offset, count: bytes.count) { (page, within, done, count) throws(LogError) in
                var contents = try contentsOf(page, real: fd, path: path)
                contents.withUnsafeMutableBytes { target in
                    (target.baseAddress! + within).copyMemory(from: bytes.baseAddress! + done, byteCount: count)
                }
                pages[page] = contents
            }
            size = max(size, offset + bytes.count)
        }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int, real fd: Int32, path: String) throws(LogError) -> Int {
        try lock.withLock { () throws(LogError) -> Int in
            try requireLive(path)
            let count = max(0, min(buffer.count, size - offset))
            try forEachPiece(at: offset, count: count) { (page, within, done, piece) throws(LogError) in
                let contents = try contentsOf(page, real: fd, path: path)
                contents.withUnsafeBytes { source in
                    (buffer.baseAddress! + done).copyMemory(from: source.baseAddress! + within, byteCount: piece)
                }
            }
            return count
        }
    }

    /// Splits `offset ..< offset + count` at page boundaries: for each piece, its page, its
    /// start within the page, the bytes before it and its length.
    private func forEachPiece(
        at offset: Int, count: Int, _ body: (_ page: Int, _ within: Int, _ done: Int, _ length: Int) throws(LogError) -> Void
    ) throws(LogError) {
        var done = 0
        while done < count {
            let position = offset + done
            let within = position % Self.pageSize
            let length = min(Self.pageSize - within, count - done)
            try body(position / Self.pageSize, within, done, length)
            done += length
        }
    }

    func truncate(to newSize: Int, path: String) throws(LogError) {
        try lock.withLock { () throws(LogError) in
            try requireLive(path)
            size = newSize
            realFloor = min(realFloor, newSize)
            let lastPage = newSize / Self.pageSize
            pages = pages.filter { $0.key <= lastPage }
            if var boundary = pages[lastPage] {
                let within = newSize % Self.pageSize
                for index in within ..< Self.pageSize { boundary[index] = 0 }
                pages[lastPage] = boundary
            }
        }
    }

    /// Writes the cached pages to the real file, cuts it to `size` and fsyncs it: from here
    /// on a power loss keeps these bytes.
    func sync(real fd: Int32, path: String) throws(LogError) {
        try lock.withLock { () throws(LogError) in
            try requireLive(path)
            // Bytes a truncation hid must not come back when the file grew again over them.
            var info = stat()
            guard fstat(fd, &info) == 0 else { throw FileDescriptor.error("cannot stat", path: path) }
            if Int(info.st_size) > realFloor, ftruncate(fd, off_t(realFloor)) != 0 {
                throw FileDescriptor.error("cannot truncate", path: path)
            }
            for page in pages.keys.sorted() {
                let start = page * Self.pageSize
                let count = min(Self.pageSize, size - start)
                guard count > 0 else { continue }
                let written = pages[page]!.withUnsafeBytes { pwrite(fd, $0.baseAddress!, count, off_t(start)) }
                guard written == count else { throw FileDescriptor.error("cannot write", path: path) }
            }
            guard ftruncate(fd, off_t(size)) == 0 else { throw FileDescriptor.error("cannot truncate", path: path) }
            guard fdatasync(fd) == 0 else { throw FileDescriptor.error("cannot sync", path: path) }
            pages = [:]
            realFloor = size
        }
    }

    /// Drops every unsynced byte, as a power loss does; later calls fail with `EIO`.
    func losePower() {
        lock.withLock {
            pages = [:]
            lost = true
        }
    }

    private func requireLive(_ path: String) throws(LogError) {
        if lost { throw FileDescriptor.error("power lost", path: path, code: EIO) }
    }

    /// A page's current contents: cached, else read from the real file.
    private func contentsOf(_ page: Int, real fd: Int32, path: String) throws(LogError) -> [UInt8] {
        if let cached = pages[page] { return cached }
        return try loadPage(page, real: fd, path: path)
    }

    private func loadPage(_ page: Int, real fd: Int32, path: String) throws(LogError) -> [UInt8] {
        var contents = [UInt8](repeating: 0, count: Self.pageSize)
        let start = page * Self.pageSize
        let readable = min(Self.pageSize, realFloor - start)
        guard readable > 0 else { return contents }
        let got = contents.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, readable, off_t(start)) }
        guard got >= 0 else { throw FileDescriptor.error("cannot read", path: path) }
        return contents
    }
}
