/// Where one text of an event lies in the bytes it was read from: `count` bytes from `start`,
/// counted from the first byte of `LocationEventView.storage`. They are valid UTF-8.
public struct TextSpan: Hashable, Sendable {
    public var start: Int32
    public var count: Int32

    public init(start: Int, count: Int) {
        self.start = Int32(start)
        self.count = Int32(count)
    }

    var range: Range<Int> { Int(start) ..< Int(start) + Int(count) }
}

/// A view's bytes, valid only inside `LocationEventView.withBytes`.
public struct EventBytes {
    let raw: UnsafeRawBufferPointer

    /// The bytes of one text.
    public subscript(span: TextSpan) -> UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: raw[span.range]) }

    public subscript(span: TextSpan?) -> UnsafeRawBufferPointer? { span.map { self[$0] } }
}
