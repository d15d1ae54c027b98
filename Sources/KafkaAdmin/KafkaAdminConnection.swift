import KafkaWire

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One TCP connection to a Kafka-compatible broker, for the few requests an inspection or
/// administration command makes: a request is written, its response read, in order, blocking
/// the calling thread (a command-line tool's main thread, never the cooperative pool) for at
/// most `timeoutMs` per exchange.
///
/// On connect it asks ApiVersions v0, which every broker answers, and from then on `version(of:
/// supported:)` picks the highest version both sides speak.
final class KafkaAdminConnection {
    let address: String
    private let descriptor: Int32
    private var correlation: Int32 = 0
    private let timeoutMs: Int32
    private(set) var versions: [Int16: ClosedRange<Int16>] = [:]
    static let clientID = "ridestream-inspect"
    /// Responses larger than this are refused before anything is allocated for them.
    static let maxResponseBytes = 256 << 20

    init(host: String, port: Int, timeoutMs: Int32) throws(KafkaAdminError) {
        address = "\(host):\(port)"
        self.timeoutMs = timeoutMs
        descriptor = try Self.connect(host: host, port: port, timeoutMs: timeoutMs, address: address)
        do {
            let body = try exchange(.apiVersions, version: 0) { _ in }
            versions = try Self.decodeApiVersions(body, address: address)
        } catch {
            close(descriptor)
            throw error
        }
    }

    deinit { close(descriptor) }

    /// The highest version of `key` that both the broker and this client (`supported`) speak.
    func version(of key: ApiKey, supported: ClosedRange<Int16>) throws(KafkaAdminError) -> Int16 {
        guard let served = versions[key.rawValue], served.overlaps(supported) else {
            throw KafkaAdminError.unsupported(address: address, api: "\(key)")
        }
        return min(served.upperBound, supported.upperBound)
    }

    /// Sends one request (header v1: these requests use non-flexible versions) and returns
    /// the response body after its correlation id, all within `timeoutMs`.
    func exchange(_ key: ApiKey, version: Int16, _ body: (inout ByteWriter) -> Void) throws(KafkaAdminError) -> [UInt8] {
        correlation &+= 1
        var writer = ByteWriter(capacity: 128)
        writer.write(Int32(0))
        writer.write(key.rawValue)
        writer.write(version)
        writer.write(correlation)
        writer.writeNullableString(Self.clientID)
        body(&writer)
        var frame = writer.take()
        let size = Int32(frame.count - 4)
        frame.withUnsafeMutableBytes { raw in raw.storeBytes(of: size.bigEndian, as: Int32.self) }
        // One deadline for the whole exchange: a broker that drips a byte at a time is cut off
        // too, not only one that falls silent.
        let deadline = ContinuousClock.now + .milliseconds(Int(timeoutMs))
        try writeAll(frame)
        let length = Int32(bitPattern: UInt32(try readExactly(4, before: deadline).reduce(0) { $0 << 8 | UInt32($1) }))
        guard length >= 4, Int(length) <= Self.maxResponseBytes else {
            throw KafkaAdminError.malformedResponse(address: address, api: "\(key)", reason: "a response of \(length) bytes")
        }
        var response = try readExactly(Int(length), before: deadline)
        let answered = response.prefix(4).reduce(Int32(0)) { $0 << 8 | Int32($1) }
        guard answered == correlation else {
            throw KafkaAdminError.malformedResponse(address: address, api: "\(key)", reason: "correlation id \(answered), expected \(correlation)")
        }
        response.removeFirst(4)
        return response
    }

    private static func decodeApiVersions(_ body: [UInt8], address: String) throws(KafkaAdminError) -> [Int16: ClosedRange<Int16>] {
        try KafkaAdminResponses.decode(body, address: address, api: "ApiVersions") { reader in
            let code = ErrorCode(rawValue: try reader.readInt16())
            guard code == .noError else { throw KafkaAdminError.kafka(address: address, api: "ApiVersions", code: code, message: nil) }
            var versions: [Int16: ClosedRange<Int16>] = [:]
            for _ in 0 ..< (try reader.readCount("api", minimumElementBytes: 6)) {
                let key = try reader.readInt16(), low = try reader.readInt16(), high = try reader.readInt16()
                if low <= high { versions[key] = low ... high }
            }
            return versions
        }
    }

    // MARK: - Sockets

    private static func connect(host: String, port: Int, timeoutMs: Int32, address: String) throws(KafkaAdminError) -> Int32 {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var found: UnsafeMutablePointer<addrinfo>?
        let resolved = getaddrinfo(host, String(port), &hints, &found)
        guard resolved == 0, let first = found else {
            throw KafkaAdminError.unreachable(address: address, reason: String(cString: gai_strerror(resolved)))
        }
        defer { freeaddrinfo(first) }
        var reason = "no address"
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let info = candidate {
            candidate = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
            guard fd >= 0 else { continue }
            if let failure = connectWithin(fd, info.pointee.ai_addr, info.pointee.ai_addrlen, timeoutMs: timeoutMs) {
                reason = failure
                close(fd)
                continue
            }
            var timeout = timeval(tv_sec: Int(timeoutMs / 1000), tv_usec: Int(timeoutMs % 1000) * 1000)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            return fd
        }
        throw KafkaAdminError.unreachable(address: address, reason: reason)
    }

    /// Connects a blocking socket within `timeoutMs`; returns why not, or nil.
    private static func connectWithin(_ fd: Int32, _ address: UnsafeMutablePointer<sockaddr>?, _ length: socklen_t, timeoutMs: Int32) -> String? {
        let flags = fcntl(fd, F_GETFL, 0)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        defer { _ = fcntl(fd, F_SETFL, flags) }
        if Glibc.connect(fd, address, length) == 0 { return nil }
        guard errno == EINPROGRESS else { return String(cString: strerror(errno)) }
        var waiting = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        let ready = poll(&waiting, 1, timeoutMs)
        guard ready > 0 else { return ready == 0 ? "no answer within \(timeoutMs) ms" : String(cString: strerror(errno)) }
        var failure: Int32 = 0
        var size = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &failure, &size)
        return failure == 0 ? nil : String(cString: strerror(failure))
    }

    private func writeAll(_ bytes: [UInt8]) throws(KafkaAdminError) {
        var sent = 0
        while sent < bytes.count {
            let written = bytes.withUnsafeBytes { raw in send(descriptor, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL)) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { throw KafkaAdminError.unreachable(address: address, reason: "sending: \(Self.failure())") }
            sent += written
        }
    }

    /// Reads `count` bytes by `deadline`. The buffer grows with what arrives (at most 1 MiB
    /// ahead), so a size announced but never sent allocates nothing much.
    private func readExactly(_ count: Int, before deadline: ContinuousClock.Instant) throws(KafkaAdminError) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(min(count, 1 << 20))
        var chunk = [UInt8](repeating: 0, count: min(count, 64 << 10))
        while bytes.count < count {
            let left = deadline - ContinuousClock.now
            let leftMs = Int32(clamping: left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000)
            guard leftMs > 0 else { throw KafkaAdminError.unreachable(address: address, reason: "no complete answer within \(timeoutMs) ms") }
            var waiting = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let ready = poll(&waiting, 1, leftMs)
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else {
                throw KafkaAdminError.unreachable(address: address, reason: ready == 0 ? "no complete answer within \(timeoutMs) ms" : "waiting: \(Self.failure())")
            }
            let wanted = min(chunk.count, count - bytes.count)
            let read = chunk.withUnsafeMutableBytes { raw in recv(descriptor, raw.baseAddress!, wanted, 0) }
            if read < 0 && (errno == EINTR || errno == EAGAIN) { continue }
            guard read > 0 else {
                throw KafkaAdminError.unreachable(address: address, reason: read == 0 ? "the broker closed the connection" : "receiving: \(Self.failure())")
            }
            bytes.append(contentsOf: chunk[0 ..< read])
        }
        return bytes
    }

    private static func failure() -> String {
        errno == EAGAIN || errno == EWOULDBLOCK ? "no answer in time" : String(cString: strerror(errno))
    }
}
