import Foundation
import Glibc

/// A tiny real file system (tmpfs) mounted on a fresh directory, for disk-full tests: writes
/// past its size fail with ENOSPC exactly as on a full disk. Mounting needs root; `mount()`
/// returns nil otherwise and the test says it skipped. `unmount()` must run in every exit path
/// (a `defer`), and also removes the directory.
public final class SmallDisk: Sendable {
    public let path: String

    private init(path: String) { self.path = path }

    /// Mounts a tmpfs of `bytes` bytes, or returns nil when this process may not mount.
    public static func mount(bytes: Int, label: String = "small-disk") -> SmallDisk? {
        guard getuid() == 0 else { return nil }
        let directory = TemporaryDirectory(label)
        guard run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(bytes)", "tmpfs", directory.path]) == 0 else {
            directory.remove()
            return nil
        }
        return SmallDisk(path: directory.path)
    }

    public func file(_ name: String) -> String { path + "/" + name }

    /// Writes zeros into `name` until the disk is full; returns the bytes written. Removing the
    /// file frees them again.
    @discardableResult
    public func fill(_ name: String = "filler") -> Int {
        let fd = open(file(name), O_WRONLY | O_CREAT | O_APPEND, 0o644)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        let chunk = [UInt8](repeating: 0, count: 4096)
        var total = 0
        while true {
            let written = chunk.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if written <= 0 { break }
            total += written
        }
        return total
    }

    public func free(_ name: String = "filler") { unlink(file(name)) }

    /// Makes the disk `bytes` large, keeping its files (the operator freeing space).
    public func grow(to bytes: Int) {
        _ = Self.run("/bin/mount", ["-o", "remount,size=\(bytes)", path])
    }

    public func unmount() {
        _ = Self.run("/bin/umount", ["-l", path])
        try? FileManager.default.removeItem(atPath: path)
    }

    private static func run(_ tool: String, _ arguments: [String]) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }
}
