import Dashboard
import RidePipeline
import ServiceLifecycle

/// `bench pipeline --with-dashboard`: the live dashboard watching a run as an open page
/// would use it, minus the HTTP framing: every snapshot of its stream read, and the tail of a
/// partition every second, until the run shuts its observers down (the end of production).
struct DashboardViewer: Service {
    let run: LiveRun

    func run() async throws {
        let dashboard = Dashboard()
        dashboard.watch(run)
        guard let stream = dashboard.stream() else { return }
        let tail = Task {
            while !Task.isCancelled {
                _ = try? await run.latestRecords(partition: 0, limit: 15)
                try? await Task.sleep(for: .seconds(1))
            }
        }
        await cancelWhenGracefulShutdown {
            for await _ in stream {}
        }
        tail.cancel()
        await dashboard.close()
    }
}
