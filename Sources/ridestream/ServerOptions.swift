import ArgumentParser
import Broker
import BrokerServer

/// The Kafka-port options shared by `broker serve` and `simulate --serve`.
struct ServerOptions: ParsableArguments {
    @Option(help: "Address to listen on. The default, 'localhost', listens on both 127.0.0.1 and ::1; 0.0.0.0 or :: exposes the port to the network.")
    var host = "localhost"
    @Option(help: "Port to listen on (0: any free port, printed at start).") var port = 9092
    @Option(help: "Host clients are told to connect to (default: 127.0.0.1 for loopback, else --host).") var advertisedHost: String?
    @Option(help: "Port clients are told to connect to (default: the bound port).") var advertisedPort: Int?
    @Option(help: "Largest request frame accepted, in bytes; larger ones close that connection.") var maxFrameBytes = 104_857_600
    @Option(help: "Bytes all connections together may hold in requests not yet answered; beyond it they stop reading (at least --max-frame-bytes).")
    var maxBufferedRequestBytes = 134_217_728
    @Option(help: "Close connections idle for this many milliseconds.") var idleTimeoutMs: Int64 = 600_000
    @Option(help: "Refuse connections beyond this many.") var maxConnections = 1000

    func validate() throws {
        guard (0 ... 65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535, got \(port)") }
        if let advertisedPort, !(1 ... 65535).contains(advertisedPort) {
            throw ValidationError("--advertised-port must be between 1 and 65535, got \(advertisedPort)")
        }
        guard maxFrameBytes >= 1024 else { throw ValidationError("--max-frame-bytes must be at least 1024, got \(maxFrameBytes)") }
        guard maxBufferedRequestBytes >= maxFrameBytes else {
            throw ValidationError("--max-buffered-request-bytes must be at least --max-frame-bytes (\(maxFrameBytes)), got \(maxBufferedRequestBytes)")
        }
        guard idleTimeoutMs > 0, idleTimeoutMs <= 7 * 86_400_000 else {
            throw ValidationError("--idle-timeout-ms must be between 1 and 604800000 (7 days), got \(idleTimeoutMs)")
        }
        guard maxConnections >= 1 else { throw ValidationError("--max-connections must be at least 1, got \(maxConnections)") }
    }

    var configuration: ServerConfiguration {
        var configuration = ServerConfiguration()
        configuration.host = host
        configuration.port = port
        configuration.advertisedHost = advertisedHost
        configuration.advertisedPort = advertisedPort
        configuration.maxFrameBytes = maxFrameBytes
        configuration.maxBufferedRequestBytes = maxBufferedRequestBytes
        configuration.idleTimeoutMs = idleTimeoutMs
        configuration.maxConnections = maxConnections
        return configuration
    }
}
