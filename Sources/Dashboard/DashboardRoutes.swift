import Foundation
import HTTPTypes
import Hummingbird
import KafkaWire
import NIOCore
import RidePipeline

/// The dashboard's HTTP interface, on loopback unless told otherwise:
///
/// | route | answer |
/// | --- | --- |
/// | `GET /` | the page (`DashboardPage`), every asset in the binary |
/// | `GET /dashboard.css`, `/dashboard.js`, `/charts.js` | its style and scripts |
/// | `GET /api/snapshot` | the latest `DashboardSnapshot` as JSON (503 before the first) |
/// | `GET /api/stream` | Server-Sent Events: a `snapshot` event per sample (503 past `Dashboard.maxStreams`) |
/// | `GET /api/topics/T/partitions/P/tail?limit=N` | the last N (1–100, default 20) records of partition P of topic T |
/// | `GET /api/partitions/P/tail?limit=N` | the same, of the one topic shown (a run's) |
/// | `POST /api/groups/G/add` | starts one more consumer in group G |
/// | `POST /api/groups/G/remove?consumer=C`, `/crash?consumer=C` | stops C (default: the last running one), cleanly or not |
/// | `GET /metrics` | Prometheus' text format (`MetricsRoutes`) |
///
/// Errors are JSON, `{"error": "..."}`: 400 for a request naming a group, consumer, action or
/// partition the run does not have or an action the run refuses (the run goes on), 403 for a
/// control POST without the `X-RideStream-Control: 1` header, 404 for another path, 409 before
/// the run has started, 500 when a consumer could not start.
///
/// The header is what keeps other web pages out: a page of another origin can send a plain
/// POST to 127.0.0.1 without asking, but not one with a custom header (the browser asks first,
/// and this server grants no other origin).
public enum DashboardRoutes {
    public static func add(to router: Router<BasicRequestContext>, dashboard: Dashboard) {
        router.get("/") { _, _ in asset(DashboardPage.html, type: "text/html; charset=utf-8") }
        router.get("/dashboard.css") { _, _ in asset(DashboardPage.style, type: "text/css; charset=utf-8") }
        router.get("/dashboard.js") { _, _ in asset(DashboardPage.script, type: "text/javascript; charset=utf-8") }
        router.get("/charts.js") { _, _ in asset(DashboardCharts.script, type: "text/javascript; charset=utf-8") }
        router.get("/api/snapshot") { _, _ -> Response in
            guard let json = dashboard.latestJSON else { return failure(.serviceUnavailable, "no snapshot yet: the dashboard is starting") }
            return Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"], body: ResponseBody(byteBuffer: json))
        }
        router.get("/api/stream") { _, _ -> Response in
            guard let stream = dashboard.stream() else {
                return failure(.serviceUnavailable, "\(Dashboard.maxStreams) live streams are open already; close a dashboard tab")
            }
            return Response(
                status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"],
                body: ResponseBody { writer in
                    for await event in stream { try await writer.write(event) }
                    try await writer.finish(nil)
                }
            )
        }
        router.get("/api/partitions/:partition/tail") { request, context -> Response in
            await tail(
                dashboard, topic: nil, partition: context.parameters.get("partition") ?? "", limit: request.uri.queryParameters["limit"].map(String.init)
            )
        }
        router.get("/api/topics/:topic/partitions/:partition/tail") { request, context -> Response in
            await tail(
                dashboard, topic: context.parameters.get("topic") ?? "", partition: context.parameters.get("partition") ?? "",
                limit: request.uri.queryParameters["limit"].map(String.init)
            )
        }
        router.post("/api/groups/:group/:action") { request, context -> Response in
            guard request.headers[controlHeader] == "1" else {
                return failure(.forbidden, "control requests carry the header X-RideStream-Control: 1 (the dashboard's buttons send it)")
            }
            guard let run = dashboard.run else {
                guard let snapshot = dashboard.latest else { return failure(.conflict, "the run has not started yet") }
                if snapshot.broker != nil {
                    return failure(.badRequest, "this dashboard shows a broker: its groups belong to the Kafka clients in them, not to the dashboard")
                }
                return failure(.badRequest, ControlError.runOver.description)
            }
            do {
                let done = try await run.control(
                    group: context.parameters.get("group") ?? "", action: context.parameters.get("action") ?? "",
                    consumer: request.uri.queryParameters["consumer"].map(String.init)
                )
                return json(.ok, ["done": done])
            } catch {
                if case ControlError.failed = error { return failure(.internalServerError, String(describing: error)) }
                return failure(.badRequest, String(describing: error))
            }
        }
    }

    /// The header a control POST must carry (see the type's notes).
    public static let controlHeader = HTTPField.Name("X-RideStream-Control")!

    private static func tail(_ dashboard: Dashboard, topic named: String?, partition text: String, limit limitText: String?) async -> Response {
        guard let snapshot = dashboard.latest else { return failure(.serviceUnavailable, "no snapshot yet: the dashboard is starting") }
        let topics = Array(Set(snapshot.partitions.map(\.topic))).sorted()
        guard let topic = (named?.removingPercentEncoding ?? named) ?? (topics.count == 1 ? topics[0] : nil) else {
            return failure(.badRequest, "\(topics.count) topics are shown: name one, as /api/topics/TOPIC/partitions/\(text)/tail")
        }
        let partitions = snapshot.partitions.filter { $0.topic == topic }.map(\.partition)
        guard !partitions.isEmpty else {
            let some = topics.prefix(20).joined(separator: ", ") + (topics.count > 20 ? " and \(topics.count - 20) more" : "")
            return failure(.badRequest, "no topic '\(topic)' is shown: the topics are \(some)")
        }
        guard let partition = Int(text), partitions.contains(partition) else {
            let some = partitions.prefix(20).map(String.init).joined(separator: ", ") + (partitions.count > 20 ? " and \(partitions.count - 20) more" : "")
            return failure(.badRequest, "no partition '\(text)' of \(topic) is shown: its partitions are \(some)")
        }
        let parsed: Int? = limitText.map { Int($0) } ?? 20
        guard let limit = parsed, (1 ... 100).contains(limit) else {
            return failure(.badRequest, "limit must be a number from 1 to 100, got '\(limitText ?? "")'")
        }
        let records: [StoredRecord]?
        do {
            records = try await dashboard.tail(topic, partition: partition, limit: limit)
        } catch {
            return failure(.internalServerError, "cannot read partition \(partition) of \(topic): \(error)")
        }
        guard let records else { return failure(.notFound, "this log cannot show a partition's records (a Kafka cluster: use kcat)") }
        let body = (try? Dashboard.encoder().encode(records)) ?? Data("[]".utf8)
        return Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    private static func asset(_ text: String, type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type, .cacheControl: "no-cache"], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    static func json(_ status: HTTPResponse.Status, _ fields: [String: String]) -> Response {
        let body = (try? JSONEncoder().encode(fields)) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    static func failure(_ status: HTTPResponse.Status, _ message: String) -> Response { json(status, ["error": message]) }
}
