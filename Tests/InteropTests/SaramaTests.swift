import Foundation
import TestSupport
import Testing

extension Interop {
    /// Go's sarama 1.22 (Debian's golang-github-shopify-sarama-dev, built offline in GOPATH
    /// mode by Debian's Go): an admin client, a synchronous acks=all producer and a two-member
    /// consumer group across a rebalance, every record read once. Sarama does not negotiate
    /// versions through ApiVersions; it commits with OffsetCommit v1.
    @Suite struct SaramaTests {
        @Test func saramaProducerAndConsumerGroup() async throws {
            try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/go"), "Go is not installed (apt-get install golang-go golang-github-shopify-sarama-dev)")
            let build = TemporaryDirectory("sarama")
            defer { build.remove() }
            let binary = build.file("sarama_suite")
            let source = InteropServer.root.appendingPathComponent("Tests/InteropTests/sarama").path
            let compiled = try await ChildProcess(
                "/usr/bin/go", ["build", "-o", binary, "."], errors: .separate,
                environment: ["GO111MODULE": "off", "GOPATH": "/usr/share/gocode", "GOCACHE": build.file("cache"), "GOFLAGS": "-buildvcs=false"],
                in: source
            ).exit()
            #expect(compiled.status == 0, "go build: \(compiled.errors.suffix(3000))")
            let server = try await InteropServer.start()
            let run = await (try ChildProcess(binary, [server.bootstrap], errors: .separate)).exit(killingAfterMs: 180_000)
            #expect(run.status == 0, "\(run.output)\(run.errors.suffix(2000))\n--- broker log ---\n\(server.log.suffix(3000))")
            #expect(run.output.contains("2000 records, each read once; members a, b"), "\(run.output)")
            #expect(!server.log.contains("unsupported request"), "sarama asked for a version this broker does not serve: \(server.log.suffix(2000))")
            #expect(await server.stop() == 0, "clean shutdown on SIGTERM")
        }
    }
}
