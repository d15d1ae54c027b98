import Foundation
import TestSupport
import Testing

extension Interop {
    /// `simulate --dashboard` in Debian's headless chromium (`python/dashboard_browser.py`):
    /// what the page shows while the run goes on and after it has finished; then the run's
    /// `report --html` in the same browser (`python/report_browser.py`).
    @Suite struct DashboardBrowserTests {
        /// Where the test leaves its screenshot of the page (the README shows one like it).
        static let screenshot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../.build/screenshots/dashboard.png").standardized.path

        @Test func theLivePageShowsPartitionsGroupsLagRebalancesAndItsButtonsWork() async throws {
            try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/chromedriver"), "no chromium-driver (apt-get install chromium chromium-driver)")
            try #require(FileManager.default.isExecutableFile(atPath: InteropServer.binary))
            let dir = TemporaryDirectory("dashboard-browser")
            defer { dir.remove() }
            try FileManager.default.createDirectory(atPath: (Self.screenshot as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            let script = try Interop.PythonClientTests.start("dashboard_browser.py", arguments: [InteropServer.binary, dir.path + "/data", Self.screenshot])
            let exit = await script.exit()
            #expect(exit.status == 0 && !exit.signalled, "\(exit.output.suffix(5000))\(exit.errors.suffix(3000))")
            #expect(exit.output.contains("dashboard passed"), "\(exit.output.suffix(3000))")
            #expect(FileManager.default.fileExists(atPath: Self.screenshot))

            // The finished run's HTML report in the same browser: every chart drawn.
            let report = dir.path + "/report.html"
            let written = try ChildProcess(InteropServer.binary, ["report", "--data-dir", dir.path + "/data", "--html", report], errors: .merged)
            let wrote = await written.exit()
            #expect(wrote.status == 0 && wrote.output.contains("HTML report written to \(report)"), "\(wrote.output)")
            let opened = try Interop.PythonClientTests.start("report_browser.py", arguments: [report, "8"])
            let checked = await opened.exit()
            #expect(checked.status == 0 && checked.output.contains("report passed: 8 charts drawn"), "\(checked.output)\(checked.errors.suffix(3000))")

            // The same run, finished, served read only by `ridestream dashboard`.
            let stored = try Interop.PythonClientTests.start("stored_dashboard_browser.py", arguments: [InteropServer.binary, dir.path + "/data"])
            let shown = await stored.exit()
            #expect(shown.status == 0 && shown.output.contains("stored dashboard passed"), "\(shown.output.suffix(3000))\(shown.errors.suffix(3000))")
        }

        /// `broker serve --dashboard` with confluent-kafka clients (`python/broker_dashboard_browser.py`).
        @Test func theBrokersPageShowsItsTopicsAndAGroupOfKafkaClientsRebalancing() async throws {
            try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/chromedriver"), "no chromium-driver (apt-get install chromium chromium-driver)")
            try #require(FileManager.default.isExecutableFile(atPath: InteropServer.binary))
            let dir = TemporaryDirectory("broker-dashboard-browser")
            defer { dir.remove() }
            let script = try Interop.PythonClientTests.start("broker_dashboard_browser.py", arguments: [InteropServer.binary, dir.path + "/data"])
            let exit = await script.exit()
            #expect(exit.status == 0 && !exit.signalled, "\(exit.output.suffix(5000))\(exit.errors.suffix(3000))")
            #expect(exit.output.contains("broker dashboard passed"), "\(exit.output.suffix(3000))")
        }
    }
}
