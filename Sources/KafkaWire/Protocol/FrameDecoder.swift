/// Cuts a byte stream into Kafka frames: a big-endian int32 size, then that many bytes.
///
/// Framing only — no parsing. The size is checked against `maxFrameBytes` before anything is
/// allocated for the frame (Kafka's `socket.request.max.bytes`, 100 MiB by default), so a
/// hostile or corrupt size closes the connection instead of exhausting memory. Feed bytes as
/// they arrive, in any chunking; frames come out whole and in order.
public struct FrameDecoder: Sendable {
    public static let defaultMaxFrameBytes = 104_857_600

    public let maxFrameBytes: Int
    private var buffer: [UInt8] = []
    private var readIndex = 0

    public init(maxFrameBytes: Int = FrameDecoder.defaultMaxFrameBytes) {
        self.maxFrameBytes = maxFrameBytes
    }

    /// Bytes received but not yet returned in a frame.
    public var bufferedBytes: Int { buffer.count - readIndex }

    public mutating func feed<Bytes: Sequence<UInt8>>(_ bytes: Bytes) {
        if readIndex > 0 && readIndex * 2 >= buffer.count {
            // A copy, not `removeFirst`, when the buffer grew for a large frame: its capacity
            // must not stay with the connection.
            if buffer.capacity > 1 << 20 && buffer.capacity > 4 * (buffer.count - readIndex) {
                buffer = Array(buffer[readIndex...])
            } else {
                buffer.removeFirst(readIndex)
            }
            readIndex = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// Makes room for the whole of the next frame, `size` bytes with its prefix, whose prefix
    /// has arrived: in one allocation, instead of growing (and copying) the buffer as its body
    /// arrives; bytes of frames already returned are dropped first.
    public mutating func prepare(forFrameOf size: Int) {
        if readIndex > 0 {
            buffer = Array(buffer[readIndex...])
            readIndex = 0
        }
        buffer.reserveCapacity(size)
    }

    /// The size of the next frame's payload once its 4-byte prefix has arrived (its body may
    /// not have), or nil before; checked as `nextFrame` checks it.
    public func nextFrameSize() throws(WireError) -> Int? {
        guard bufferedBytes >= 4 else { return nil }
        let size = Int(Int32(bitPattern: UInt32(buffer[readIndex]) << 24 | UInt32(buffer[readIndex + 1]) << 16
            | UInt32(buffer[readIndex + 2]) << 8 | UInt32(buffer[readIndex + 3])))
        guard size >= 0 else { throw WireError(.malformed, "negative frame size \(size)") }
        guard size <= maxFrameBytes else {
            throw WireError(.malformed, "frame of \(size) bytes exceeds the limit of \(maxFrameBytes)")
        }
        return size
    }

    /// The next complete frame's payload, or nil until more bytes arrive.
    ///
    /// - Throws: `WireError.malformed` for a negative size or one above `maxFrameBytes`; the
    ///   stream cannot be resynchronised after that and the connection should be closed.
    public mutating func nextFrame() throws(WireError) -> [UInt8]? {
        guard let size = try nextFrameSize(), bufferedBytes >= 4 + size else { return nil }
        let start = readIndex + 4
        readIndex = start + size
        guard readIndex == buffer.count else { return Array(buffer[start ..< readIndex]) }
        // The buffer held exactly this frame: hand it over without a copy, and keep no large
        // buffer behind for a connection that sent one large frame.
        var frame: [UInt8] = []
        swap(&frame, &buffer)
        readIndex = 0
        frame.removeFirst(start)
        return frame
    }
}

extension Array where Element == UInt8 {
    /// The payload with its int32 size prefix: one frame, ready to write to a socket.
    public func framed() -> [UInt8] {
        var writer = ByteWriter(capacity: count + 4)
        writer.write(Int32(count))
        writer.write(contentsOf: self)
        return writer.take()
    }
}
