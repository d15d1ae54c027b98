import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// Why the Kafka port could not be opened, without the socket call's internals: the address
/// and what is wrong with it.
public struct ServerError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        /// Another program listens on the port.
        case portInUse
        /// The host is not an address of this machine, or not an address at all.
        case addressNotAvailable
        /// A port below 1024 needs privileges this process lacks.
        case permissionDenied
        /// Anything else; `detail` says what.
        case other
    }

    public var kind: Kind
    /// "127.0.0.1:9092" or "[::1]:9092".
    public var address: String
    public var detail: String

    public init(kind: Kind, address: String, detail: String) {
        self.kind = kind
        self.address = address
        self.detail = detail
    }

    init(binding host: String, port: Int, error: any Error) {
        let address = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        if let error = error as? IOError {
            switch error.errnoCode {
            case EADDRINUSE: self.init(kind: .portInUse, address: address, detail: "the port is in use by another program")
            case EADDRNOTAVAIL: self.init(kind: .addressNotAvailable, address: address, detail: "\(host) is not an address of this machine")
            case EACCES: self.init(kind: .permissionDenied, address: address, detail: "ports below 1024 need privileges")
            default: self.init(kind: .other, address: address, detail: String(cString: strerror(error.errnoCode)))
            }
        } else if error is SocketAddressError || error is SocketAddressError.UnknownHost {
            self.init(kind: .addressNotAvailable, address: address, detail: "'\(host)' is not a host name or address this machine can resolve")
        } else {
            self.init(kind: .other, address: address, detail: "\(error)")
        }
    }

    public var description: String { "cannot listen on \(address): \(detail)" }
}
