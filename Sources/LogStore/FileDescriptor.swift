import KafkaWire

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An open file, read and written by position (`pread` / `pwrite`), closed on deinit.
///
/// Short reads and writes and `EINTR` are retried; every failure becomes a `LogError.io`
/// naming the path and the system's reason, so a full disk reads "No space left on device".
/// Under a `PowerLossSimulation` root, writes stay in `UnsyncedPages` until `sync`.
final class FileDescriptor: @unchecked Sendable {
    let path: String
    private let fd: Int32
    private let unsynced: UnsyncedPages?

    /// Opens `path` for reading and writing (or reading alone), creating it if asked.
    init(path: String, create: Bool, writable: Bool = true) throws(LogError) {
        self.path = path
        let simulated = try PowerLossSimulation.shared.simulated(path)
        let creating = simulated && create && !FileSystem.exists(path)
        if creating { PowerLossSimulation.shared.noteCreating(path) }
        let flags = (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC | (create ? O_CREAT : 0)
        let result = open(path, flags, 0o644)
        guard result >= 0 else { throw Self.error("cannot open", path: path) }
        fd = result
        do throws(LogError) {
            unsynced = simulated ? try PowerLossSimulation.shared.opened(path, fd: result, created: creating) : nil
        } catch {
            close(result)
            throw error
        }
    }

    deinit { close(fd) }

    static func error(_ what: String, path: String, code: Int32 = errno) -> LogError {
        LogError(.io, "\(what): \(String(cString: strerror(code)))", path: path, errno: code)
    }

    func size() throws(LogError) -> Int {
        if let unsynced { return unsynced.currentSize }
        return try Self.realSize(fd, path)
    }

    private static func realSize(_ fd: Int32, _ path: String) throws(LogError) -> Int {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw Self.error("cannot stat", path: path) }
        return Int(info.st_size)
    }

    /// When the file was last written (its modification time), in milliseconds since the epoch.
    func modificationTime() throws(LogError) -> Int64 {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw Self.error("cannot stat", path: path) }
        return Int64(info.st_mtim.tv_sec) * 1000 + Int64(info.st_mtim.tv_nsec) / 1_000_000
    }

    /// Writes all of `bytes` at `offset`.
    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(LogError) {
        if let unsynced { return try unsynced.write(bytes, at: offset, real: fd, path: path) }
        var done = 0
        while done < bytes.count {
            let written = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            if written < 0 {
                if errno == EINTR { continue }
                throw Self.error("cannot write", path: path)
            }
            done += written
        }
    }

    func write(_ bytes: [UInt8], at offset: Int) throws(LogError) {
        try bytes.withRawBytes { (raw) throws(LogError) in try write(raw, at: offset) }
    }

    /// Reads up to `count` bytes at `offset` into `buffer`; fewer only at the end of the file.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(LogError) -> Int {
        if let unsynced { return try unsynced.read(into: buffer, at: offset, real: fd, path: path) }
        var done = 0
        while done < buffer.count {
            let got = pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
            if got < 0 {
                if errno == EINTR { continue }
                throw Self.error("cannot read", path: path)
            }
            if got == 0 { break }
            done += got
        }
        return done
    }

    /// Reads up to `count` bytes at `offset` into a new array.
    func read(count: Int, at offset: Int) throws(LogError) -> [UInt8] {
        guard count > 0 else { return [] }
        var failure: LogError?
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            do throws(LogError) {
                initialized = try read(into: UnsafeMutableRawBufferPointer(buffer), at: offset)
            } catch {
                failure = error
                initialized = 0
            }
        }
        if let failure { throw failure }
        return bytes
    }

    func truncate(to size: Int) throws(LogError) {
        if let unsynced { return try unsynced.truncate(to: size, path: path) }
        guard ftruncate(fd, off_t(size)) == 0 else { throw Self.error("cannot truncate", path: path) }
    }

    /// Forces written data to the disk (`fdatasync`).
    func sync() throws(LogError) {
        if let unsynced {
            try PowerLossSimulation.shared.checkSync(path)
            return try unsynced.sync(real: fd, path: path)
        }
        guard fdatasync(fd) == 0 else { throw Self.error("cannot sync", path: path) }
    }
}

/// Small file-system helpers with `LogError`s that name the path.
enum FileSystem {
    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// Creates `path` and any missing parents, each made durable in its parent directory.
    static func createDirectory(_ path: String) throws(LogError) {
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            let creating = try PowerLossSimulation.shared.simulated(prefix) && !exists(prefix)
            if creating { PowerLossSimulation.shared.noteCreating(prefix) }
            if mkdir(prefix, 0o755) == 0 {
                // The new entry survives a power loss only once its parent is synced.
                let parent = prefix.lastIndex(of: "/").map { String(prefix[..<$0]) } ?? "."
                try syncDirectory(parent.isEmpty ? "/" : parent)
            } else if errno != EEXIST {
                throw FileDescriptor.error("cannot create directory", path: prefix)
            }
        }
    }

    static func list(_ path: String) throws(LogError) -> [String] {
        guard let dir = opendir(path) else { throw FileDescriptor.error("cannot list directory", path: path) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    static func remove(_ path: String) throws(LogError) {
        if try PowerLossSimulation.shared.simulated(path) { PowerLossSimulation.shared.noteRemoved(path) }
        if unlink(path) != 0, errno != ENOENT { throw FileDescriptor.error("cannot delete", path: path) }
    }

    static func removeTree(_ path: String) throws(LogError) {
        if try PowerLossSimulation.shared.simulated(path) { PowerLossSimulation.shared.noteRemoved(path) }
        try removeTreeDirectly(path)
    }

    /// Removes `path` and everything under it, without telling a power-loss simulation.
    static func removeTreeDirectly(_ path: String) throws(LogError) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            for name in try list(path) { try removeTreeDirectly(path + "/" + name) }
            if rmdir(path) != 0 { throw FileDescriptor.error("cannot delete directory", path: path) }
        } else if unlink(path) != 0, errno != ENOENT {
            throw FileDescriptor.error("cannot delete", path: path)
        }
    }

    /// Writes `bytes` to `path` through a temporary file and a rename, so readers see the old
    /// or the new contents, never a mix.
    static func writeAtomically(_ bytes: [UInt8], to path: String, sync: Bool = true) throws(LogError) {
        let temporary = path + ".tmp"
        let file = try FileDescriptor(path: temporary, create: true)
        try file.truncate(to: 0)
        try file.write(bytes, at: 0)
        if sync { try file.sync() }
        guard rename(temporary, path) == 0 else { throw FileDescriptor.error("cannot rename into place", path: path) }
        if try PowerLossSimulation.shared.simulated(path) { PowerLossSimulation.shared.noteRenamed(temporary, to: path) }
    }

    /// The file's bytes, or an empty array when it does not exist.
    static func readAllIfPresent(_ path: String) throws(LogError) -> [UInt8] {
        exists(path) ? try readAll(path) : []
    }

    /// Makes a directory's entries durable (files created, renamed or removed in it), as a
    /// file's fsync does not.
    static func syncDirectory(_ path: String) throws(LogError) {
        let covered = try PowerLossSimulation.shared.simulated(path) ? PowerLossSimulation.shared.noteSyncing(path) : nil
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw FileDescriptor.error("cannot open directory", path: path) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw FileDescriptor.error("cannot sync directory", path: path) }
        if let covered { PowerLossSimulation.shared.noteSynced(path, covering: covered) }
    }

    static func readAll(_ path: String) throws(LogError) -> [UInt8] {
        let file = try FileDescriptor(path: path, create: false, writable: false)
        return try file.read(count: try file.size(), at: 0)
    }
}
