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
/// connection's later requests, as in Kafka.
public final class KafkaServer: Sendable {
    public let configuration: ServerConfiguration
    private let dispatcher: RequestDispatcher
    private let group: MultiThreadedEventLoopGroup
    private let logger: Logger

    public init(broker: Broker, configuration: ServerConfiguration, logger: Logger = Logger(label: "ridestream.server")) {
        self.configuration = configuration
        dispatcher = RequestDispatcher(broker: broker, configuration: configuration, logger: logger)
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.logger = logger
    }

    /// Binds and serves until the task is cancelled; returns the bound port first through
    /// `onBound` (useful with port 0).
    public func run(onBound: @Sendable (Int) -> Void = { _ in }) async throws {
        let dispatcher = dispatcher
        let maxFrame = configuration.maxFrameBytes
        let logger = logger
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                let (frames, continuation) = AsyncStream<[UInt8]>.makeStream(bufferingPolicy: .unbounded)
                Task {
                    for await frame in frames {
                        do {
                            guard let response = try await dispatcher.handle(frame) else { continue }
                            var buffer = channel.allocator.buffer(capacity: response.count)
                            buffer.writeBytes(response)
                            try await channel.writeAndFlush(buffer)
                        } catch {
                            logger.info("closing connection", metadata: ["reason": "\(error)"])
                            try? await channel.close()
                            return
                        }
                    }
                }
                return channel.pipeline.addHandler(FrameHandler(maxFrameBytes: maxFrame, frames: continuation))
            }
        let channel = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
        let port = channel.localAddress?.port ?? configuration.port
        dispatcher.boundPort.set(port)
        onBound(port)
        logger.info("serving the Kafka protocol", metadata: ["address": "\(configuration.host):\(channel.localAddress?.port ?? 0)"])
        await withTaskCancellationHandler {
            try? await channel.closeFuture.get()
        } onCancel: {
            channel.close(promise: nil)
        }
        try? await group.shutdownGracefully()
    }
}
