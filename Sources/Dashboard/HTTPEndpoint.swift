import Glibc
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// An HTTP server (Hummingbird) started before anything else of a command: `start` returns
/// once the port is bound, or throws `HTTPEndpointError` naming the address and the flag to
/// change, so a failed start leaves nothing behind. It serves until `stop()`.
public final class HTTPEndpoint: Sendable {
    /// The bound port (the one chosen when asked for 0).
    public let port: Int
    public let host: String
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    private init(host: String, port: Int, group: ServiceGroup, task: Task<Void, any Error>) {
        self.host = host
        self.port = port
        self.group = group
        self.task = task
    }

    /// `http://host:port` (IPv6 hosts in brackets).
    public var url: String { "http://\(host.contains(":") ? "[\(host)]" : host):\(port)" }

    /// Binds `host:port` and serves `router` on it.
    ///
    /// - Parameter flag: the command-line flag that chose the port, for the error message.
    public static func start(
        _ router: Router<BasicRequestContext>, host: String, port: Int, flag: String, logger: Logger
    ) async throws(HTTPEndpointError) -> HTTPEndpoint {
        let (started, continuation) = AsyncStream<Result<Int, HTTPEndpointError>>.makeStream()
        var quiet = logger
        quiet.logLevel = .warning
        let application = Application(
            router: router, configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "RideStream"),
            onServerRunning: { channel in
                continuation.yield(.success(channel.localAddress?.port ?? port))
                continuation.finish()
            },
            logger: quiet
        )
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: [application], logger: quiet))
        let task = Task {
            do {
                try await group.run()
            } catch {
                continuation.yield(.failure(HTTPEndpointError(host: host, port: port, flag: flag, cause: error)))
                continuation.finish()
                throw error
            }
        }
        for await result in started {
            switch result {
            case let .success(bound): return HTTPEndpoint(host: host, port: bound, group: group, task: task)
            case let .failure(error): throw error
            }
        }
        // The caller was cancelled before the port was up: nothing may keep serving.
        await group.triggerGracefulShutdown()
        _ = try? await task.value
        throw HTTPEndpointError(host: host, port: port, flag: flag, cause: CancellationError())
    }

    /// Stops serving, gracefully for at most `grace` (requests under way are answered), then
    /// at once: a client that stopped reading a stream cannot hold the process.
    public func stop(grace: Duration = .seconds(2)) async {
        await group.triggerGracefulShutdown()
        let task = task
        let deadline = Task {
            try await Task.sleep(for: grace)
            task.cancel()
        }
        _ = try? await task.value  // its failure, if any, was reported when it started
        deadline.cancel()
    }
}

/// The HTTP port could not be bound.
public struct HTTPEndpointError: Error, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var flag: String
    public var cause: any Error

    public var description: String {
        let code = (cause as? IOError)?.errnoCode
        switch code {
        case EADDRINUSE?: return "port \(port) on \(host) is in use; choose another with \(flag) (0 picks a free one)"
        case EADDRNOTAVAIL?: return "cannot listen on \(host):\(port): not an address of this machine; give 127.0.0.1, ::1 or 0.0.0.0"
        case EACCES?: return "cannot listen on port \(port): permission denied; choose a port of 1024 or above with \(flag)"
        default: return "cannot listen on \(host):\(port) (\(cause)); check \(flag)"
        }
    }
}
