import Foundation
import TestSupport
import Testing

extension Interop {
    /// `simulate --serve`: a running simulation's broker, watched with kcat while it runs.
    @Suite struct SimulateServeTests {
        @Test func kcatReadsTheRunningSimulation() throws {
            try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/kcat"), "kcat is not installed (apt-get install kcat)")
            try #require(FileManager.default.isExecutableFile(atPath: InteropServer.binary))
            let dir = TemporaryDirectory("simulate-serve")
            defer { dir.remove() }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: InteropServer.binary)
            process.arguments = ["simulate", "--serve", "--port", "0", "--data-dir", dir.path, "--drivers", "200", "--duration", "3000"]
            let output = Pipe()
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            var text = ""
            while !text.contains("Kafka protocol on") || !text.hasSuffix("\n") {
                let data = output.fileHandleForReading.availableData
                guard !data.isEmpty else { break }
                text += String(decoding: data, as: UTF8.self)
            }
            let range = try #require(text.range(of: #"Kafka protocol on 127\.0\.0\.1:(\d+)"#, options: .regularExpression), "no port in: \(text)")
            let bootstrap = "127.0.0.1:" + text[range].split(separator: ":").last!
            let listing = try Interop.KcatTests.kcat(["-b", bootstrap, "-L", "-t", "driver-locations"])
            #expect(listing.contains(#"topic "driver-locations" with 6 partitions"#))
            let events = try Interop.KcatTests.kcat(["-b", bootstrap, "-C", "-t", "driver-locations", "-o", "beginning", "-c", "50", "-q"])
            let lines = events.split(separator: "\n")
            #expect(lines.count == 50)
            #expect(lines.allSatisfy { $0.hasPrefix(#"{"eventId":""#) })
            process.interrupt()
            let rest = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "\(String(decoding: rest, as: UTF8.self).suffix(2000))")
        }
}
}
