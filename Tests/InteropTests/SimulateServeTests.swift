import Foundation
import TestSupport
import Testing

extension Interop {
    /// `simulate --serve`: a running simulation's broker, watched with kcat while it runs.
    @Suite struct SimulateServeTests {
        @Test func kcatReadsTheRunningSimulation() async throws {
            try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/kcat"), "kcat is not installed (apt-get install kcat)")
            try #require(FileManager.default.isExecutableFile(atPath: InteropServer.binary))
            let dir = TemporaryDirectory("simulate-serve")
            defer { dir.remove() }
            let arguments = ["simulate", "--serve", "--port", "0", "--data-dir", dir.path, "--drivers", "200", "--duration", "3000"]
            let process = try ChildProcess(InteropServer.binary, arguments, errors: .discarded)
            let pattern = #"Kafka protocol on 127\.0\.0\.1:(\d+)\D"#
            _ = await eventually(timeoutMs: 60_000) { process.output.range(of: pattern, options: .regularExpression) != nil || !process.isRunning }
            let text = process.output
            let range = try #require(text.range(of: pattern, options: .regularExpression), "no port in: \(text)")
            let bootstrap = "127.0.0.1:" + text[range].dropLast().split(separator: ":").last!
            let listing = try await Interop.KcatTests.kcat(["-b", bootstrap, "-L", "-t", "driver-locations"])
            #expect(listing.contains(#"topic "driver-locations" with 6 partitions"#))
            let events = try await Interop.KcatTests.kcat(["-b", bootstrap, "-C", "-t", "driver-locations", "-o", "beginning", "-c", "50", "-q"])
            let lines = events.split(separator: "\n")
            #expect(lines.count == 50)
            #expect(lines.allSatisfy { $0.hasPrefix(#"{"eventId":""#) })
            // The run's topic cannot be deleted or grown from outside while it runs.
            let python = try Interop.PythonClientTests.start("protected_topic.py", arguments: [bootstrap, "driver-locations"])
            let checked = await python.exit()
            #expect(checked.status == 0, "\(checked.output)\(checked.errors.suffix(3000))")
            #expect(checked.output.contains("delete and create_partitions refused; 6 partitions"), "\(checked.output)")
            #expect(process.isRunning, "the run ended: \(process.output.suffix(2000))")
            process.signal(SIGINT)
            let exit = await process.exit()
            #expect(exit.status == 0 && !exit.signalled, "\(exit.output.suffix(2000))")
        }
    }
}
