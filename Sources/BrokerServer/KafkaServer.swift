import Broker
import KafkaWire
import Logging
import NIOCore
import NIOPosix

/// The Kafka-protocol face of the built-in broker, on SwiftNIO.
///
/// Each connection gets a `FrameHandler` that cuts frames and one task that handles them one
/// at a time through the `RequestDispatcher`, so responses leave in request order (Kafka
/// clients match responses to requests by order). A long-polling Fetch therefore holds the
/// connection's later requests, as in Kafka. Connections are independent: a malformed or
/// oversized frame closes that one connection only.
///
/// The host "localhost" listens on both loopback addresses, 127.0.0.1 and ::1 (clients may
/// resolve "localhost" to either); any other host is bound as given.
public final class KafkaServer: Sendable {
    public let configuration: ServerConfiguration
    private let dispatcher: RequestDispatcher
    private let group: MultiThreadedEventLoopGroup
    private let connections = ConnectionRegistry()
    private let logger: Logger

    public init(broker: Broker, configuration: ServerConfiguration, logger: Logger = Logger(label: "ridestream.server")) {
        self.configuration = configuration
        dispatcher = RequestDispatcher(broker: broker, configuration: configuration, logger: logger)
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.logger = logger
    }

    /// The port bound, once `run` has bound it (0 before).
    public var boundPort: Int { dispatcher.boundPort.value }

    /// Binds and serves until the task is cancelled; reports the bound port first through
    /// `onBound` (useful with port 0).
    public func run(onBound: @Sendable (Int) -> Void = { _ in }) async throws {
        let bootstrap = makeBootstrap()
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
                throw ServerError("cannot listen on \(host.contains(":") ? "[\(host)]" : host):\(port): \(error)")
            }
        }
        dispatcher.boundPort.set(port)
        onBound(port)
        logger.info("serving the Kafka protocol", metadata: ["address": "\(configuration.displayAddress(port: port))"])
        let listening = channels
        await withTaskCancellationHandler {
            for channel in listening { try? await channel.closeFuture.get() }
        } onCancel: {
            for channel in listening { channel.close(promise: nil) }
        }
        await connections.closeAll()
        try? await group.shutdownGracefully()
    }

    private func makeBootstrap() -> ServerBootstrap {
        let dispatcher = dispatcher
        let maxFrame = configuration.maxFrameBytes
        let idle = TimeAmount.milliseconds(configuration.idleTimeoutMs)
        let logger = logger
        let connections = connections
        let maxConnections = configuration.maxConnections
        return ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                let (frames, continuation) = AsyncStream<[UInt8]>.makeStream(bufferingPolicy: .unbounded)
                let handler = FrameHandler(maxFrameBytes: maxFrame, frames: continuation)
                let clientHost = channel.remoteAddress?.ipAddress.map { "/" + $0 } ?? ""
                guard connections.count < maxConnections else {
                    logger.warning("refusing a connection", metadata: ["reason": "\(maxConnections) connections are open"])
                    continuation.finish()
                    return channel.close()
                }
                let loop = Task {
                    defer { connections.remove(channel) }
                    for await frame in frames {
                        guard !Task.isCancelled, channel.isActive else { break }
                        do {
                            let response = try await dispatcher.handle(frame, clientHost: clientHost)
                            if let response {
                                var buffer = channel.allocator.buffer(capacity: response.count)
                                buffer.writeBytes(response)
                                try await channel.writeAndFlush(buffer)
                            }
                            channel.eventLoop.execute { handler.answered(bytes: frame.count) }
                        } catch {
                            logger.info("closing connection", metadata: ["client": "\(clientHost)", "reason": "\(error)"])
                            try? await channel.close()
                            return
                        }
                    }
                }
                connections.add(channel, loop: loop)
                do {
                    try channel.pipeline.syncOperations.addHandlers(IdleStateHandler(readTimeout: idle), handler)
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    continuation.finish()
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
    }
}

/// Why the server could not start.
public struct ServerError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
