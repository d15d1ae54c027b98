import Logging
import NIOCore
import NIOPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The Kafka port's listening sockets, bound but not yet accepting connections.
///
/// Binding comes first, before anything in a data directory is opened or changed, so that a
/// command whose port is taken or whose address is wrong fails without leaving anything
/// behind. Until a `KafkaServer` starts serving, connection attempts wait in the kernel's
/// backlog (accepting is off); a listener nobody serves is closed with `close()`.
///
/// The host "localhost" listens on both loopback addresses, 127.0.0.1 and ::1 (clients may
/// resolve "localhost" to either); any other host is bound as given.
public final class KafkaListener: Sendable {
    public let configuration: ServerConfiguration
    /// The port bound (the chosen one when the configuration asks for port 0).
    public let port: Int
    let group: MultiThreadedEventLoopGroup
    let channels: [any Channel]
    /// Where accepted connections go once a server serves this listener.
    private let handoff: Handoff

    private init(configuration: ServerConfiguration, port: Int, group: MultiThreadedEventLoopGroup, channels: [any Channel], handoff: Handoff) {
        self.configuration = configuration
        self.port = port
        self.group = group
        self.channels = channels
        self.handoff = handoff
    }

    /// Binds every address of `configuration.host` on `configuration.port`.
    public static func bind(_ configuration: ServerConfiguration, logger: Logger = Logger(label: "ridestream.server")) async throws(ServerError) -> KafkaListener {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let handoff = Handoff()
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(ChannelOptions.autoRead, value: false)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in handoff.accept(channel) }
        var channels: [any Channel] = []
        let hosts = configuration.host == "localhost" ? ["127.0.0.1", "::1"] : [configuration.host]
        var port = configuration.port
        for (index, host) in hosts.enumerated() {
            do {
                let channel = try await bootstrap.bind(host: host, port: port).get()
                port = channel.localAddress?.port ?? port
                channels.append(channel)
            } catch where index > 0 {
                // A second loopback address (IPv6) may not exist on this machine.
                logger.notice("not listening on \(host)", metadata: ["reason": "\(error)"])
            } catch {
                for channel in channels { try? await channel.close() }
                try? await group.shutdownGracefully()
                throw ServerError(binding: host, port: port, error: error)
            }
        }
        return KafkaListener(configuration: configuration, port: port, group: group, channels: channels, handoff: handoff)
    }

    /// Hands accepted channels to the acceptor, refusing them while there is none.
    private final class Handoff: Sendable {
        let acceptor = Mutex<(@Sendable (any Channel) -> EventLoopFuture<Void>)?>(nil)

        func accept(_ channel: any Channel) -> EventLoopFuture<Void> {
            guard let accept = acceptor.withLock({ $0 }) else { return channel.close() }
            return accept(channel)
        }
    }

    /// Routes new connections to `acceptor` and starts accepting them.
    func startAccepting(_ acceptor: @escaping @Sendable (any Channel) -> EventLoopFuture<Void>) async {
        handoff.acceptor.withLock { $0 = acceptor }
        for channel in channels { try? await channel.setOption(ChannelOptions.autoRead, value: true).get() }
    }

    /// Waits until every listening socket is closed; `stopListening()` closes them.
    func waitUntilClosed() async {
        for channel in channels { try? await channel.closeFuture.get() }
    }

    /// Stops accepting: closes the listening sockets (open connections stay).
    func stopListening() {
        for channel in channels { channel.close(promise: nil) }
    }

    /// Closes the sockets and stops the event loop; for a listener that will not be served,
    /// and by the server when it stops.
    public func close() async {
        for channel in channels { try? await channel.close() }
        try? await group.shutdownGracefully()
    }
}
