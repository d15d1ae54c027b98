import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A disk that can lose power, for tests: under a simulated directory the log's files keep
/// only what was fsynced (as LazyFS does), and a file or directory created there survives only
/// once its parent directory has been synced.
///
/// Every file the log store writes goes through `FileDescriptor` and `FileSystem`, which ask
/// this registry whether a path is simulated. For a simulated path, writes stay in memory
/// (`UnsyncedPages`) until the file is synced; creations are remembered until their directory
/// is synced. Two ways to lose power:
///
/// - in a test process, `losePower(root:)` drops every unsynced byte and every unsynced
///   creation under the root at once (later file operations there fail with `EIO`), and
///   `release(root:)` ends the simulation so the directory can be reopened for real;
/// - for a whole process, `RIDESTREAM_POWER_LOSS_JOURNAL=<file>` simulates every path it
///   writes through the log store and appends each creation, directory sync, rename and
///   removal to that journal. Killing the process (SIGKILL) drops the unsynced bytes with its
///   memory; `applyJournal` (or the fault campaign in `Tests/Campaign`, which does the same)
///   then deletes what the journal says was created and never made durable. Journal format: one line per event, tab-separated:
///   `created PATH`, `synced DIRECTORY`, `renamed FROM TO`, `removed PATH` (absolute paths).
///
/// Renames and removals count as durable at once (a real disk may lose them too until the
/// directory is synced; the log store syncs the directory after each one that matters).
/// Files are known by identity (device and inode), so renames keep their pages and removals
/// the registry never saw (Foundation's, in the broker) cannot hand a new file old pages.
/// SQLite databases are written by SQLite, not through this layer: a simulated power loss
/// leaves them as they were, ahead of the log.
public final class PowerLossSimulation: Sendable {
    /// The process's registry. Simulates nothing unless a test adds a root or the process was
    /// started with `RIDESTREAM_POWER_LOSS_JOURNAL`.
    public static let shared = PowerLossSimulation(journal: ProcessInfo.processInfo.environment["RIDESTREAM_POWER_LOSS_JOURNAL"])

    private struct Root {
        var path: String
        var lost = false
        /// How many more fsyncs fail (`failSyncs(root:times:)`).
        var failingSyncs = 0
    }

    /// A file by identity, not name: a renamed file keeps its pages, a file made anew at a
    /// path (even one whose old file was removed behind this registry's back) starts clean.
    struct FileID: Hashable {
        var device: UInt64
        var inode: UInt64
    }

    private struct State {
        var roots: [Root] = []
        /// Unsynced pages per simulated file, shared by its open descriptors, with its last path.
        var files: [FileID: (pages: UnsyncedPages, path: String)] = [:]
        /// Paths created under a simulated root whose parent directory was not synced since.
        var unsyncedEntries: Set<String> = []
    }

    private let state: Mutex<State>
    private let journal: Int32?

    init(journal: String?) {
        var state = State()
        if let journal {
            state.roots = [Root(path: "/")]
            let fd = open(journal, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            self.journal = fd >= 0 ? fd : nil
        } else {
            self.journal = nil
        }
        self.state = Mutex(state)
    }

    // MARK: - Roots (tests)

    /// Simulates a disk that can lose power for every path under `root`.
    public func simulate(root: String) {
        let root = Self.absolute(root)
        state.withLock { $0.roots.append(Root(path: root)) }
    }

    /// Loses power under `root`: unsynced bytes and unsynced creations are gone. The root stays
    /// simulated, and dead: every later file operation under it fails with `EIO`, as on a
    /// machine that is off, until `release(root:)`.
    public func losePower(root: String) {
        let root = Self.absolute(root)
        let (pages, entries): ([UnsyncedPages], [String]) = state.withLock { state in
            for index in state.roots.indices where state.roots[index].path == root { state.roots[index].lost = true }
            let lost = state.files.filter { Self.path($0.value.path, isUnder: root) }
            for key in lost.keys { state.files[key] = nil }
            let entries = state.unsyncedEntries.filter { Self.path($0, isUnder: root) }
            state.unsyncedEntries.subtract(entries)
            return (lost.values.map(\.pages), entries.sorted { $0.count > $1.count })
        }
        for file in pages { file.losePower() }
        for entry in entries { try? FileSystem.removeTreeDirectly(entry) }
    }

    /// Makes the next `times` fsyncs of files under the simulated `root` (every one, by
    /// default) fail with `EIO` while writes still succeed: a disk whose write-back fails, the
    /// page cache holding bytes that never become durable. Linux reports such a failure once:
    /// with `times: 1` the sync after it succeeds, over pages that were never written.
    public func failSyncs(root: String, times: Int = .max) {
        let root = Self.absolute(root)
        state.withLock { state in
            for index in state.roots.indices where state.roots[index].path == root { state.roots[index].failingSyncs = times }
        }
    }

    /// Throws `EIO` when syncs fail under the root that simulates `path` (counting one).
    func checkSync(_ path: String) throws(LogError) {
        let path = Self.absolute(path)
        let failing = state.withLock { state in
            guard let index = state.roots.lastIndex(where: { Self.path(path, isUnder: $0.path) }), state.roots[index].failingSyncs > 0 else {
                return false
            }
            if state.roots[index].failingSyncs != .max { state.roots[index].failingSyncs -= 1 }
            return true
        }
        if failing { throw FileDescriptor.error("cannot sync (write-back failed)", path: path, code: EIO) }
    }

    /// Ends the simulation under `root`: its files are plain files again.
    public func release(root: String) {
        let root = Self.absolute(root)
        state.withLock { state in
            state.roots.removeAll { $0.path == root }
            state.files = state.files.filter { !Self.path($0.value.path, isUnder: root) }
            state.unsyncedEntries = state.unsyncedEntries.filter { !Self.path($0, isUnder: root) }
        }
    }

    // MARK: - File operations (FileDescriptor, FileSystem)

    /// The shared unsynced pages of the simulated file open as `fd`. `created` says the open
    /// made the file (its creation was noted before): it starts with no pages, whatever an
    /// earlier file of the same identity left.
    func opened(_ path: String, fd: Int32, created: Bool) throws(LogError) -> UnsyncedPages {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw FileDescriptor.error("cannot stat", path: path) }
        let id = FileID(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
        let path = Self.absolute(path)
        return state.withLock { state in
            if !created, let shared = state.files[id] {
                state.files[id]?.path = path
                return shared.pages
            }
            let pages = UnsyncedPages(realSize: Int(info.st_size))
            state.files[id] = (pages, path)
            return pages
        }
    }

    /// Whether `path` is simulated; throws `EIO` when power was lost there.
    func simulated(_ path: String) throws(LogError) -> Bool {
        let roots = state.withLock { $0.roots }
        guard !roots.isEmpty else { return false }
        let path = Self.absolute(path)
        guard let root = roots.last(where: { Self.path(path, isUnder: $0.path) }) else { return false }
        if root.lost { throw FileDescriptor.error("power lost", path: path, code: EIO) }
        return true
    }

    /// Called before the call that creates `path` (a kill in between leaves nothing durable).
    func noteCreating(_ path: String) {
        let path = Self.absolute(path)
        state.withLock { state in
            state.unsyncedEntries.insert(path)
            record("created", path)
        }
    }

    /// Called before a directory's fsync: the entries it will make durable, those created before
    /// it started (one created while it runs may not be covered).
    func noteSyncing(_ directory: String) -> Set<String> {
        let directory = Self.absolute(directory)
        return state.withLock { state in
            record("syncing", directory)
            return state.unsyncedEntries.filter { Self.parent(of: $0) == directory }
        }
    }

    /// Called after the fsync that `noteSyncing` announced succeeded.
    func noteSynced(_ directory: String, covering entries: Set<String>) {
        let directory = Self.absolute(directory)
        state.withLock { state in
            state.unsyncedEntries.subtract(entries)
            record("synced", directory)
        }
    }

    func noteRemoved(_ path: String) {
        let path = Self.absolute(path)
        state.withLock { state in
            state.files = state.files.filter { !Self.path($0.value.path, isUnder: path) }
            state.unsyncedEntries = state.unsyncedEntries.filter { !Self.path($0, isUnder: path) }
            record("removed", path)
        }
    }

    /// A rename counts as durable at once: the target is not an unsynced creation, whatever
    /// the source was (its pages follow it by identity).
    func noteRenamed(_ from: String, to: String) {
        let from = Self.absolute(from)
        let to = Self.absolute(to)
        state.withLock { state in
            state.unsyncedEntries.remove(from)
            for (id, file) in state.files where file.path == from { state.files[id]?.path = to }
            record("renamed", from + "\t" + to)
        }
    }

    /// One journal line per event, written with one `write` under the registry's lock, so the
    /// journal's order is the registry's and a kill never tears a line.
    private func record(_ event: String, _ argument: String) {
        guard let journal else { return }
        let line = Array("\(event)\t\(argument)\n".utf8)
        _ = line.withUnsafeBytes { write(journal, $0.baseAddress!, $0.count) }
    }

    // MARK: - After a killed process

    /// Finishes the power loss of a process killed while it wrote with the journal at `path`:
    /// removes every file and directory it created whose directory it did not sync after.
    /// Returns the removed paths.
    public static func applyJournal(_ path: String) throws(LogError) -> [String] {
        var unsynced: Set<String> = []
        var syncing: [String: [Set<String>]] = [:]  // per directory, its syncs in flight, oldest first
        for line in String(decoding: try FileSystem.readAll(path), as: UTF8.self).split(separator: "\n") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            switch (fields.first, fields.count) {
            case ("created", 2): unsynced.insert(fields[1])
            case ("syncing", 2): syncing[fields[1], default: []].append(unsynced.filter { parent(of: $0) == fields[1] })
            case ("synced", 2):
                if let covered = syncing[fields[1]]?.first {
                    unsynced.subtract(covered)
                    syncing[fields[1]]!.removeFirst()
                }
            case ("removed", 2): unsynced = unsynced.filter { !Self.path($0, isUnder: fields[1]) }
            case ("renamed", 3): unsynced.remove(fields[1])
            default:
                throw LogError(.io, "not a power-loss journal line: \(line)", path: path)
            }
        }
        let removed = unsynced.sorted { $0.count > $1.count }.filter { FileSystem.exists($0) }
        for entry in removed { try FileSystem.removeTreeDirectly(entry) }
        return removed
    }

    // MARK: - Paths

    static func absolute(_ path: String) -> String {
        let full = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        return (full as NSString).standardizingPath
    }

    static func path(_ path: String, isUnder root: String) -> Bool {
        root == "/" || path == root || path.hasPrefix(root + "/")
    }

    static func parent(of path: String) -> String { (path as NSString).deletingLastPathComponent }
}
