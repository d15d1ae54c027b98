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
/// SQLite databases are written by SQLite, not through this layer: a simulated power loss
/// leaves them as they were, ahead of the log.
public final class PowerLossSimulation: Sendable {
    /// The process's registry. Simulates nothing unless a test adds a root or the process was
    /// started with `RIDESTREAM_POWER_LOSS_JOURNAL`.
    public static let shared = PowerLossSimulation(journal: ProcessInfo.processInfo.environment["RIDESTREAM_POWER_LOSS_JOURNAL"])

    private struct Root {
        var path: String
        var lost = false
    }

    private struct State {
        var roots: [Root] = []
        /// Unsynced pages per simulated file path, shared by its open descriptors.
        var files: [String: UnsyncedPages] = [:]
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
            let pages = state.files.filter { Self.path($0.key, isUnder: root) }
            for key in pages.keys { state.files[key] = nil }
            let entries = state.unsyncedEntries.filter { Self.path($0, isUnder: root) }
            state.unsyncedEntries.subtract(entries)
            return (Array(pages.values), entries.sorted { $0.count > $1.count })
        }
        for file in pages { file.losePower() }
        for entry in entries { try? FileSystem.removeTreeDirectly(entry) }
    }

    /// Ends the simulation under `root`: its files are plain files again.
    public func release(root: String) {
        let root = Self.absolute(root)
        state.withLock { state in
            state.roots.removeAll { $0.path == root }
            for key in state.files.keys where Self.path(key, isUnder: root) { state.files[key] = nil }
            state.unsyncedEntries = state.unsyncedEntries.filter { !Self.path($0, isUnder: root) }
        }
    }

    // MARK: - File operations (FileDescriptor, FileSystem)

    /// The shared unsynced pages of a simulated file being opened, nil for a real one.
    /// `created` says the open created the file.
    func opened(_ path: String, created: Bool, realSize: () throws(LogError) -> Int) throws(LogError) -> UnsyncedPages? {
        let path = Self.absolute(path)
        guard try simulated(path) else { return nil }
        if created { noteCreated(path) }
        let size = try realSize()
        return state.withLock { state in
            if let shared = state.files[path] { return shared }
            let pages = UnsyncedPages(realSize: size)
            state.files[path] = pages
            return pages
        }
    }

    /// Whether `path` is simulated; throws `EIO` when power was lost there.
    func simulated(_ path: String) throws(LogError) -> Bool {
        guard !state.withLock({ $0.roots.isEmpty }) else { return false }
        let path = Self.absolute(path)
        let root = state.withLock { state in state.roots.last { Self.path(path, isUnder: $0.path) } }
        guard let root else { return false }
        if root.lost { throw FileDescriptor.error("power lost", path: path, code: EIO) }
        return true
    }

    func noteCreated(_ path: String) {
        let path = Self.absolute(path)
        state.withLock { _ = $0.unsyncedEntries.insert(path) }
        record("created", path)
    }

    func noteDirectorySynced(_ directory: String) {
        let directory = Self.absolute(directory)
        state.withLock { state in
            state.unsyncedEntries = state.unsyncedEntries.filter { Self.parent(of: $0) != directory }
        }
        record("synced", directory)
    }

    func noteRemoved(_ path: String) {
        let path = Self.absolute(path)
        state.withLock { state in
            for key in state.files.keys where Self.path(key, isUnder: path) { state.files[key] = nil }
            state.unsyncedEntries = state.unsyncedEntries.filter { !Self.path($0, isUnder: path) }
        }
        record("removed", path)
    }

    func noteRenamed(_ from: String, to: String) {
        let from = Self.absolute(from)
        let to = Self.absolute(to)
        state.withLock { state in
            state.files[to] = state.files.removeValue(forKey: from)
            if state.unsyncedEntries.remove(from) != nil { state.unsyncedEntries.insert(to) }
        }
        record("renamed", from + "\t" + to)
    }

    /// One journal line per event, written with one `write` so a kill never tears it.
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
        var unsynced: [String] = []
        for line in String(decoding: try FileSystem.readAll(path), as: UTF8.self).split(separator: "\n") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            switch (fields.first, fields.count) {
            case ("created", 2): unsynced.append(fields[1])
            case ("synced", 2): unsynced.removeAll { parent(of: $0) == fields[1] }
            case ("removed", 2): unsynced.removeAll { Self.path($0, isUnder: fields[1]) }
            case ("renamed", 3):
                if let index = unsynced.firstIndex(of: fields[1]) { unsynced[index] = fields[2] }
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
