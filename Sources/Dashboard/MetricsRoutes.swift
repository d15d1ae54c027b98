import Hummingbird
import NIOCore

/// The `/metrics` route: a scrape of `exporter` over whatever `view` reads now.
public enum MetricsRoutes {
    /// Prometheus' text exposition format, version 0.0.4.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    public static func add(to router: Router<BasicRequestContext>, exporter: PrometheusExporter, view: @escaping @Sendable () async -> ClusterView?) {
        router.get("/metrics") { _, _ -> Response in
            let ticket = exporter.ticket()
            let text = exporter.scrape(await view(), ticket: ticket)
            return Response(
                status: .ok, headers: [.contentType: contentType],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: text))
            )
        }
    }
}
