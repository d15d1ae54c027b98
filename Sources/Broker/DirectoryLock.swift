import KafkaWire

#if canImport(Glibc)
import Glibc
#endif

/// An exclusive lock on a data directory (`flock` on `<directory>/.lock`), so that two
/// processes never open the same logs. Released when the process exits, even by kill -9.
final class DirectoryLock: @unchecked Sendable {
    private var fd: Int32

    /// `readOnly` takes the lock without creating the file; without one there is nothing to
    /// lock (no broker ever wrote there), and the lock is not taken.
    init(directory: String, readOnly: Bool = false) throws(BrokerError) {
        let path = directory + "/.lock"
        fd = readOnly ? open(path, O_RDONLY | O_CLOEXEC) : open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        if readOnly && fd < 0 && errno == ENOENT { return }
        guard fd >= 0 else {
            throw BrokerError(.unknownServerError, "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw BrokerError(.unknownServerError, "\(directory) is in use by another RideStream process (locked through \(path))")
        }
    }

    /// Releases the lock; later calls do nothing.
    func release() {
        guard fd >= 0 else { return }
        flock(fd, LOCK_UN)
        close(fd)
        fd = -1
    }

    deinit { release() }
}
