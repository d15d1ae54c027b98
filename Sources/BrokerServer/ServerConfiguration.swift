/// Settings of the Kafka-protocol server.
public struct ServerConfiguration: Sendable {
    /// The address to listen on. "localhost" (the default) listens on 127.0.0.1 and ::1.
    public var host = "localhost"
    public var port = 9092
    /// The host and port clients are told to connect to (Metadata, FindCoordinator).
    /// Default host: 127.0.0.1 when listening on loopback, else the listening host; default
    /// port: the bound one.
    public var advertisedHost: String?
    public var advertisedPort: Int?
    /// The largest request frame accepted; larger ones close the connection before any
    /// allocation (Kafka `socket.request.max.bytes`, 100 MiB).
    public var maxFrameBytes = 104_857_600
    /// Bytes every connection together may hold in requests received and not yet answered
    /// (Kafka's `queued.max.request.bytes`); beyond it connections stop reading until requests
    /// are answered. At least `maxFrameBytes`. The default, 128 MiB, lets one largest frame in
    /// while smaller requests go on; see `RequestMemoryBudget`.
    public var maxBufferedRequestBytes = 128 << 20
    /// Connections with no request for this long are closed (Kafka `connections.max.idle.ms`,
    /// 10 minutes). A connection waiting for its answer (a long-polling Fetch) is not idle.
    public var idleTimeoutMs: Int64 = 600_000
    /// Connections beyond this many are closed as they arrive, which bounds the memory
    /// partial frames can hold (Kafka `max.connections`).
    public var maxConnections = 1000
    /// The broker id reported in Metadata.
    public var nodeID: Int32 = 1

    public init() {}

    /// The host clients are told to use.
    public var effectiveAdvertisedHost: String {
        if let advertisedHost { return advertisedHost }
        switch host {
        case "localhost", "::1", "0.0.0.0", "::": return "127.0.0.1"
        default: return host
        }
    }

    /// Where the server listens, for messages: "127.0.0.1:9092 and [::1]:9092".
    public func displayAddress(port: Int) -> String {
        func address(_ host: String) -> String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
        return host == "localhost" ? "\(address("127.0.0.1")) and \(address("::1"))" : address(host)
    }
}
