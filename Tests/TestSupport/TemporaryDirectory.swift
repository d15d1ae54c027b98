import Foundation

/// A fresh directory under the system's temporary folder, removed by `remove()`.
public struct TemporaryDirectory: Sendable {
    public let path: String

    public init(_ label: String = "ridestream") {
        let base = FileManager.default.temporaryDirectory.path
        path = "\(base)/\(label)-\(UUID().uuidString.prefix(8))"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    public func file(_ name: String) -> String { path + "/" + name }

    public func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// Byte surgery on real files, for crash and corruption tests.
public enum FileDamage {
    public static func size(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
    }

    /// Cuts the file to `size` bytes, as a crash mid-write leaves it.
    public static func truncate(_ path: String, to size: Int) {
        let handle = FileHandle(forWritingAtPath: path)!
        try! handle.truncate(atOffset: UInt64(size))
        try! handle.close()
    }

    /// Inverts the byte at `offset`.
    public static func flipByte(_ path: String, at offset: Int) {
        var data = try! Data(contentsOf: URL(fileURLWithPath: path))
        data[offset] ^= 0xff
        try! data.write(to: URL(fileURLWithPath: path))
    }

    /// Appends bytes (garbage) to the end of the file.
    public static func append(_ path: String, _ bytes: [UInt8]) {
        let handle = FileHandle(forWritingAtPath: path)!
        handle.seekToEndOfFile()
        handle.write(Data(bytes))
        try! handle.close()
    }

    public static func write(_ path: String, _ bytes: [UInt8]) {
        try! Data(bytes).write(to: URL(fileURLWithPath: path))
    }
}
