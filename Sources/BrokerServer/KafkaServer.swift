import Broker
import KafkaWire
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// The Kafka-protocol face of the built-in broker, on SwiftNIO: a `Service` that serves a
/// bound `KafkaListener` until graceful shutdown or cancellation.
///
/// Each connection gets a `FrameHandler` that cuts frames and one task that handles them one
/// at a time through the `RequestDispatcher`, so responses leave in request order (Kafka
/// clients match responses to requests by order). A long-polling Fetch therefore holds the
/// connection's later requests, as in Kafka. Connections are independent: a malformed or
/// oversized frame closes that one connection only. Stopping closes the listening sockets,
/// then every connection, and waits (boundedly) for their request loops.
public final class KafkaServer: Service, Sendable {
    public let listener: KafkaListener
    private let dispatcher: RequestDispatcher
    private let connections = ConnectionRegistry()
    /// What every connection together may hold in unanswered requests.
    let requestBudget: RequestMemoryBudget
    private let logger: Logger

    public init(broker: Broker, listener: KafkaListener, logger: Logger = Logger(label: "ridestream.server")) {
        self.listener = listener
        dispatcher = RequestDispatcher(broker: broker, configuration: listener.configuration, logger: logger)
        dispatcher.boundPort.set(listener.port)
        requestBudget = RequestMemoryBudget(limit: max(listener.configuration.maxBufferedRequestBytes, listener.configuration.maxFrameBytes))
        self.logger = logger
    }

    public var configuration: ServerConfiguration { listener.configuration }

    /// The port bound.
    public var boundPort: Int { listener.port }

    /// Accepts and serves connections until graceful shutdown or cancellation, then closes
    /// them all.
    public func run() async throws {
        let dispatcher = dispatcher
        let logger = logger
        let connections = connections
        let maxFrame = configuration.maxFrameBytes
        let idle = TimeAmount.milliseconds(configuration.idleTimeoutMs)
        let maxConnections = configuration.maxConnections
        let budget = requestBudget
        await listener.startAccepting { channel in
            Self.serve(
                channel, dispatcher: dispatcher, connections: connections, maxFrame: maxFrame, budget: budget, idle: idle,
                maxConnections: maxConnections, logger: logger
            )
        }
        logger.info("serving the Kafka protocol", metadata: ["address": "\(configuration.displayAddress(port: listener.port))"])
        let listener = listener
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                await listener.waitUntilClosed()
            } onCancel: {
                listener.stopListening()
            }
        } onGracefulShutdown: {
            listener.stopListening()
        }
        await connections.closeAll()
        await listener.close()
    }

    private static func serve(
        _ channel: any Channel, dispatcher: RequestDispatcher, connections: ConnectionRegistry, maxFrame: Int,
        budget: RequestMemoryBudget, idle: TimeAmount, maxConnections: Int, logger: Logger
    ) -> EventLoopFuture<Void> {
        let (frames, continuation) = AsyncStream<[UInt8]>.makeStream(bufferingPolicy: .unbounded)
        let handler = FrameHandler(maxFrameBytes: maxFrame, budget: budget, frames: continuation)
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
