import KafkaWire

/// A small file written whole and read whole, whose damage is detected rather than trusted:
/// for state kept beside the logs (snapshots, settings written once).
///
/// Layout: a 4-byte magic naming the kind of file, the payload, then the CRC-32C of magic and
/// payload as a big-endian u32. Writes go through a temporary file, fsync and rename, and the
/// directory is synced, so a crash leaves the old copy or the new one, never a mix.
public enum ChecksummedFile {
    public static func write(_ payload: [UInt8], magic: String, to path: String) throws(LogError) {
        var writer = ByteWriter(capacity: payload.count + 8)
        writer.write(contentsOf: Array(magic.utf8))
        writer.write(contentsOf: payload)
        writer.write(writer.bytes.withUnsafeBytes { CRC32C.checksum($0) })
        try FileSystem.writeAtomically(writer.take(), to: path)
        if let slash = path.lastIndex(of: "/") { try FileSystem.syncDirectory(String(path[..<slash])) }
    }

    /// The payload, or nil when there is no file.
    ///
    /// - Throws: `LogError.corruptSegment` naming the file when it is too short, of another
    ///   kind, or fails its checksum.
    public static func read(_ path: String, magic: String) throws(LogError) -> [UInt8]? {
        guard FileSystem.exists(path) else { return nil }
        let bytes = try FileSystem.readAll(path)
        let magicBytes = Array(magic.utf8)
        guard bytes.count >= magicBytes.count + 4, bytes.starts(with: magicBytes) else {
            throw LogError(.corruptSegment, "not a \(magic) file (\(bytes.count) bytes, wrong header)", path: path)
        }
        let body = bytes.dropLast(4)
        let stored = bytes.suffix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard CRC32C.checksum(body) == stored else {
            throw LogError(.corruptSegment, "checksum mismatch: the file is damaged", path: path)
        }
        return Array(body.dropFirst(magicBytes.count))
    }

    public static func remove(_ path: String) throws(LogError) { try FileSystem.remove(path) }
}

/// Files and directories made durable before a call returns: for metadata whose presence
/// promises that what it describes is on the disk (a topic's `topic.json` over its
/// partitions), so a power loss cannot keep the promise and lose what it points to.
public enum DurableFile {
    /// Writes `bytes` through a temporary file, fsync and rename, then syncs the directory.
    public static func write(_ bytes: [UInt8], to path: String) throws(LogError) {
        try FileSystem.writeAtomically(bytes, to: path)
        if let slash = path.lastIndex(of: "/") { try FileSystem.syncDirectory(String(path[..<slash])) }
    }

    /// Makes a directory's entries (files and directories created, renamed, removed) durable.
    public static func syncDirectory(_ path: String) throws(LogError) { try FileSystem.syncDirectory(path) }
}
