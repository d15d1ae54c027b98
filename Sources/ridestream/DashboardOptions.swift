import ArgumentParser
import Dashboard
import Hummingbird
import Logging

/// `--dashboard`, `--dashboard-port` and `--dashboard-host`: the live dashboard (the page, its
/// API and `/metrics`) on an HTTP port, on loopback unless told otherwise.
struct DashboardOptions: ParsableArguments {
    /// Simulated seconds per wall second of a run watched on the dashboard, unless `--speed`
    /// or `--realtime` says otherwise: the default ten minutes in a minute.
    static let defaultSpeed = 10.0

    @Flag(help: "Serve a live dashboard (partitions, groups, lag, rebalances, live tail; a run's map and control buttons, the run paced: see --speed).")
    var dashboard = false
    @Option(help: "The dashboard's HTTP port (implies --dashboard; 0: any free port, printed at start).")
    var dashboardPort: Int?
    @Option(help: "Address the dashboard listens on (0.0.0.0 or :: exposes it, and its control buttons, to the network).")
    var dashboardHost = "127.0.0.1"

    var enabled: Bool { dashboard || dashboardPort != nil }

    func validate() throws {
        if let dashboardPort, !(0 ... 65535).contains(dashboardPort) {
            throw ValidationError("--dashboard-port must be between 0 and 65535, got \(dashboardPort)")
        }
    }

    /// Starts the dashboard's port when asked for: `dashboard`'s page and API, and `/metrics`
    /// from `exporter` over `view`; nil otherwise.
    func start(
        _ dashboard: Dashboard, exporter: PrometheusExporter, view: @escaping @Sendable () async -> ClusterView?, logger: Logger
    ) async throws(CommandFailure) -> HTTPEndpoint? {
        guard enabled else { return nil }
        let router = Router()
        DashboardRoutes.add(to: router, dashboard: dashboard)
        MetricsRoutes.add(to: router, exporter: exporter, view: view)
        do {
            return try await HTTPEndpoint.start(router, host: dashboardHost, port: dashboardPort ?? 8080, flag: "--dashboard-port", logger: logger)
        } catch {
            throw CommandFailure(error.description, exitCode: 1)
        }
    }
}
