import CPUTime
import Foundation
import RidePipeline
import TestSupport
import Testing

/// A run's summary says where its CPU time went, stage by stage, from its threads' clocks.
@Suite struct StageBreakdownTests {
    @Test func aRunChargesCPUTimeToEveryStageAndNoMoreThanTheProcessUsed() async throws {
        let dir = TemporaryDirectory("stages")
        defer { dir.remove() }
        var configuration = PipelineRunTests.configuration(dir)
        configuration.durationSeconds = 120
        let summary = try await PipelineRunTests.run(configuration)
        for stage in Stage.allCases { #expect(summary.cpu[stage] > 0, "\(stage.name)") }
        // Other tests run in this process meanwhile: the process used at least the stages.
        #expect(summary.cpu.stagesSeconds <= summary.cpu.processSeconds * 1.01 + 0.01)

        let json = try #require(try JSONSerialization.jsonObject(with: summary.json()) as? [String: Any])
        let cpu = try #require(json["cpu_seconds"] as? [String: Double])
        #expect(Set(cpu.keys) == Set(Stage.allCases.map(\.name) + ["stages", "process", "unattributed"]))
        #expect(cpu["sqlite"] == summary.cpu[.sqlite])
        let decoded = try JSONDecoder().decode(RunSummary.self, from: summary.json())
        #expect(decoded.cpu == summary.cpu)

        let text = summary.text(topic: configuration.topic)
        #expect(text.contains("CPU time by stage"))
        for stage in Stage.allCases { #expect(text.contains("\n  \(stage.name) "), "\(stage.name)") }
    }
}
