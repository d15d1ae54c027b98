import ArgumentParser
import Dashboard
import Hummingbird
import Logging

/// `--metrics-port` and `--metrics-host`, shared by `broker serve` and `simulate`: Prometheus'
/// `/metrics` on an HTTP port of its own, on loopback unless told otherwise.
struct MetricsOptions: ParsableArguments {
    @Option(help: "Serve Prometheus metrics on this HTTP port at /metrics (0: any free port, printed at start).")
    var metricsPort: Int?
    @Option(help: "Address the metrics port listens on (0.0.0.0 or :: exposes it to the network).")
    var metricsHost = "127.0.0.1"

    func validate() throws {
        if let metricsPort, !(0 ... 65535).contains(metricsPort) {
            throw ValidationError("--metrics-port must be between 0 and 65535, got \(metricsPort)")
        }
    }

    /// Starts the port when asked for, serving `view` at each scrape; nil otherwise.
    func start(_ exporter: PrometheusExporter, view: @escaping @Sendable () async -> ClusterView?, logger: Logger) async throws(CommandFailure) -> HTTPEndpoint? {
        guard let metricsPort else { return nil }
        let router = Router()
        MetricsRoutes.add(to: router, exporter: exporter, view: view)
        do {
            return try await HTTPEndpoint.start(router, host: metricsHost, port: metricsPort, flag: "--metrics-port", logger: logger)
        } catch {
            throw CommandFailure(error.description, exitCode: 1)
        }
    }
}
