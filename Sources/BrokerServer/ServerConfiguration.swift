/// Settings of the Kafka-protocol server.
public struct ServerConfiguration: Sendable {
    /// The address to listen on; loopback unless asked otherwise.
    public var host = "127.0.0.1"
    public var port = 9092
    /// The host and port clients are told to connect to (Metadata); default: host and port.
    public var advertisedHost: String?
    public var advertisedPort: Int?
    /// The largest request frame accepted; larger ones close the connection before any
    /// allocation (Kafka `socket.request.max.bytes`, 100 MiB).
    public var maxFrameBytes = 104_857_600
    /// The broker id reported in Metadata.
    public var nodeID: Int32 = 1

    public init() {}
}
