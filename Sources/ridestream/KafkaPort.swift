import Broker
import BrokerServer
import Logging

/// The Kafka port for the commands: binding with errors that name the flag to change, and a
/// served port for the benchmarks.
enum KafkaPort {
    /// Binds the port, before anything in a data directory is touched; a failure says what to
    /// change on the command line.
    static func bind(_ configuration: ServerConfiguration, logger: Logger) async throws(CommandFailure) -> KafkaListener {
        do {
            return try await KafkaListener.bind(configuration, logger: logger)
        } catch {
            throw CommandFailure(message(for: error), exitCode: 1)
        }
    }

    static func message(for error: ServerError) -> String {
        switch error.kind {
        case .portInUse: return "\(error); choose another with --port (0 picks a free one)"
        case .addressNotAvailable: return "\(error); give --host an address of this machine (localhost, 127.0.0.1, ::1, or 0.0.0.0 for every interface)"
        case .permissionDenied: return "\(error); choose a --port of 1024 or above"
        case .other: return "\(error); check --host and --port"
        }
    }

    /// A broker served on a bound port by a task of its own (the benchmarks).
    struct Serving {
        let port: Int
        private let task: Task<Void, any Error>

        init(port: Int, task: Task<Void, any Error>) {
            self.port = port
            self.task = task
        }

        /// Stops serving and waits for the server to close its connections.
        func stop() async {
            task.cancel()
            _ = try? await task.value  // a server cancelled while serving ends without error
        }
    }

    static func serve(broker: Broker, configuration: ServerConfiguration, logger: Logger) async throws -> Serving {
        let listener = try await KafkaListener.bind(configuration, logger: logger)
        let server = KafkaServer(broker: broker, listener: listener, logger: logger)
        return Serving(port: listener.port, task: Task { try await server.run() })
    }
}
