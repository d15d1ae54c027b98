import Broker
import BrokerServer
import Foundation

/// Serving an already open broker on the Kafka port for as long as its owner wants
/// (`simulate --serve`).
enum KafkaPort {
    /// Binds and starts serving; returns once the port is bound (or throws why it could not
    /// be), with the function that stops serving.
    static func open(broker: Broker, configuration: ServerConfiguration) async throws -> @Sendable () async -> Void {
        try await open(broker: broker, server: KafkaServer(broker: broker, configuration: configuration), announce: true)
    }

    static func open(broker: Broker, server: KafkaServer, announce: Bool) async throws -> @Sendable () async -> Void {
        let configuration = server.configuration
        let (bound, continuation) = AsyncStream<Int>.makeStream()
        let serving = Task {
            defer { continuation.finish() }
            try await server.run { port in continuation.yield(port) }
        }
        var port: Int?
        for await value in bound {
            port = value
            break
        }
        guard let port else {
            try await serving.value
            throw ServeError("the Kafka port stopped before it was bound")
        }
        if announce {
            print("Kafka protocol on \(configuration.displayAddress(port: port)) for the length of the run, e.g. "
            + "kcat -b \(configuration.effectiveAdvertisedHost):\(port) -C -t driver-locations")
            fflush(nil)
        }
        return {
            serving.cancel()
            _ = try? await serving.value
        }
    }
}

struct ServeError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
