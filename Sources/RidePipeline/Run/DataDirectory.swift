import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A run's data directory, held by this process: the only way to get one is `acquire`, which
/// takes the directory's lock first, so nothing in a directory another process uses is ever
/// read, changed or removed.
///
/// Layout: `broker/` (the built-in broker's topics and committed offsets), `fare.sqlite`,
/// `analytics.sqlite`, `support.sqlite` (with their `-wal` / `-shm` files), `run-settings`
/// (`RunSettingsRecord`), and `.lock`; after a `rebuild`, `<group>.before-rebuild.sqlite`
/// (the file it replaced) and, when one was killed, `<group>.rebuild.sqlite` (`SinkRebuild`).
///
/// `.lock` is locked with `flock` for as long as the process holds the directory (the kernel
/// releases it when the process ends, even by kill -9) and is never removed, so two processes
/// can never lock two different files of one directory. An exclusive holder (`simulate`,
/// `broker serve`, the inspection commands) writes who it is into the file as one JSON
/// object (`DirectoryHolder`); shared holders (`consume` processes, which may share a group's
/// database) leave it alone and are named from the kernel's lock table instead.
public final class DataDirectory: @unchecked Sendable {
    public enum Access: Sendable {
        /// The whole directory, alone.
        case exclusive
        /// Alongside other shared holders (several `consume` processes), never alongside an
        /// exclusive one.
        case shared
    }

    public let path: String
    public let access: Access
    /// Whether `acquire` created the directory (a start that fails removes it again).
    public let created: Bool
    private var holder: DirectoryHolder
    private var fd: Int32

    public static let lockFile = ".lock"

    private init(path: String, access: Access, created: Bool, holder: DirectoryHolder, fd: Int32) {
        self.path = path
        self.access = access
        self.created = created
        self.holder = holder
        self.fd = fd
    }

    deinit { release() }

    public var brokerPath: String { path + "/broker" }
    public func databasePath(_ group: GroupName) -> String { path + "/" + group.databaseFile }

    /// Creates the directory if needed and locks it. Fails, changing nothing in an existing
    /// directory, when another process holds it (naming that process), or when the directory
    /// cannot be created or written.
    public static func acquire(_ path: String, access: Access, holder: DirectoryHolder = .current) throws(DataDirectoryError) -> DataDirectory {
        var isDirectory: ObjCBool = false
        let existed = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        if existed && !isDirectory.boolValue { throw .cannotCreate(path: path, reason: "it is a file, not a directory") }
        if !existed {
            do {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            } catch {
                throw .cannotCreate(path: path, reason: (error as NSError).localizedFailureReason ?? error.localizedDescription)
            }
        }
        guard access_(path, W_OK) else { throw .notWritable(path: path) }
        let fd = try lock(path + "/" + lockFile, access: access, path: path)
        let directory = DataDirectory(path: path, access: access, created: !existed, holder: holder, fd: fd)
        if access == .exclusive { directory.writeHolder() }
        return directory
    }

    /// Opens and locks `lockPath`. The lock must be on the file the path names once it is
    /// taken: a holder that removed the directory (`discardIfCreated`) unlinked the file it
    /// had locked, and a lock on that unlinked file would lock nothing, so it is taken again
    /// on the file that is there now.
    private static func lock(_ lockPath: String, access: Access, path: String) throws(DataDirectoryError) -> Int32 {
        while true {
            let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw .cannotCreate(path: lockPath, reason: String(cString: strerror(errno))) }
            guard flock(fd, (access == .exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) == 0 else {
                let holders = Self.holders(lockFD: fd, lockPath: lockPath)
                close(fd)
                throw .held(path: path, by: holders)
            }
            var locked = stat()
            var named = stat()
            if fstat(fd, &locked) == 0, stat(lockPath, &named) == 0, locked.st_ino == named.st_ino, locked.st_dev == named.st_dev {
                return fd
            }
            close(fd)
            guard FileManager.default.fileExists(atPath: path) else { throw .cannotCreate(path: path, reason: "it was removed while it was being locked") }
        }
    }

    /// Adds the Kafka port this process serves to what `.lock` says about it.
    public func announce(kafkaAddress: String) {
        holder.kafkaAddress = kafkaAddress
        if access == .exclusive { writeHolder() }
    }

    private func writeHolder() {
        guard fd >= 0, var bytes = try? JSONEncoder().encode(holder) else { return }
        bytes.append(UInt8(ascii: "\n"))
        // Best effort: the record only names the holder for others' messages; the lock itself
        // is the flock. Written over the old record and then cut to its length, so a reader
        // never finds the file empty (it reads up to the first newline).
        let written = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        if written == bytes.count { _ = ftruncate(fd, off_t(bytes.count)) }
    }

    /// Unlocks the directory (the process's end does the same); later calls do nothing.
    public func release() {
        guard fd >= 0 else { return }
        if access == .exclusive { _ = ftruncate(fd, 0) }
        flock(fd, LOCK_UN)
        close(fd)
        fd = -1
    }

    // MARK: - Fresh runs and failed starts

    /// Removes the previous run's outputs (the databases and `broker/`), which only the holder
    /// of the directory may do; returns what was removed.
    public func removePreviousRun() throws(DataDirectoryError) -> [String] {
        precondition(access == .exclusive && fd >= 0, "only an exclusive holder removes a previous run")
        let files = FileManager.default
        var removed: [String] = []
        do {
            for group in GroupName.allCases {
                for suffix in ["", "-wal", "-shm"] where files.fileExists(atPath: databasePath(group) + suffix) {
                    try files.removeItem(atPath: databasePath(group) + suffix)
                    if suffix.isEmpty { removed.append(group.databaseFile) }
                }
                for kept in SinkRebuild.files(of: group) where files.fileExists(atPath: path + "/" + kept) {
                    try files.removeItem(atPath: path + "/" + kept)
                    removed.append(kept)
                }
            }
            if files.fileExists(atPath: brokerPath) {
                try files.removeItem(atPath: brokerPath)
                removed.append("broker/")
            }
            if files.fileExists(atPath: path + "/" + RunSettingsRecord.fileName) {
                try files.removeItem(atPath: path + "/" + RunSettingsRecord.fileName)
            }
        } catch {
            throw .cannotRemove(path: path, reason: error.localizedDescription)
        }
        return removed
    }

    /// After a start that failed before anything was stored: removes the directory when this
    /// process created it, so a failed start leaves nothing behind. A shared holder removes it
    /// only when it can take it alone and it holds nothing but the lock file: another process
    /// may have started in it meanwhile.
    public func discardIfCreated() {
        guard created, fd >= 0 else { return }
        if access == .shared {
            guard flock(fd, LOCK_EX | LOCK_NB) == 0,
                  (try? FileManager.default.contentsOfDirectory(atPath: path)) == [Self.lockFile] else { return }
        }
        try? FileManager.default.removeItem(atPath: path)
        release()
    }

    // MARK: - Who holds it

    /// The processes holding the lock of `lockPath`: from the kernel's lock table
    /// (`/proc/locks`) where there is one, with the exclusive holder's own record when it
    /// matches.
    static func holders(lockFD: Int32, lockPath: String) -> [DirectoryHolder] {
        var info = stat()
        let recorded = (try? Data(contentsOf: URL(fileURLWithPath: lockPath))).flatMap { data in
            try? JSONDecoder().decode(DirectoryHolder.self, from: data.prefix(while: { $0 != UInt8(ascii: "\n") }))
        }
        guard fstat(lockFD, &info) == 0, let table = try? String(contentsOfFile: "/proc/locks", encoding: .utf8) else {
            return recorded.map { [$0] } ?? []
        }
        var pids: [Int32] = []
        for line in table.split(separator: "\n") {
            // "1: FLOCK  ADVISORY  WRITE 1234 08:02:1234567 0 EOF"
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 6, fields[1] == "FLOCK", let pid = Int32(fields[4]),
                  let inode = fields[5].split(separator: ":").last.flatMap({ UInt64($0) }), inode == UInt64(info.st_ino) else { continue }
            if !pids.contains(pid) { pids.append(pid) }
        }
        // No line for this file (the table can be read between the holder's open and its
        // flock, or the system hides other processes' pids): the holder's record still names it.
        guard !pids.isEmpty else { return recorded.map { [$0] } ?? [] }
        return pids.map { pid in
            if let recorded, recorded.pid == pid { return recorded }
            return DirectoryHolder(pid: pid, command: DirectoryHolder.command(ofProcess: pid) ?? "another process", startedAt: nil, kafkaAddress: nil)
        }
    }
}

/// `access(2)` under a name that does not clash with the `access` property.
private func access_(_ path: String, _ mode: Int32) -> Bool { access(path, mode) == 0 }
