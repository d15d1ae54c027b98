import Foundation
import TestSupport
import Testing

extension Interop {
    /// `simulate --dashboard` in Debian's headless chromium (`python/dashboard_browser.py`):
    /// what the page shows while the run goes on and after it has finished.
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
        }
    }
}
