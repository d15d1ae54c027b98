import Foundation

/// libFuzzer's driver (in the fuzzer runtime `-sanitize=fuzzer` links in).
#if FUZZING
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32
#endif

/// Built with `-sanitize=fuzzer -DFUZZING` (see `Tests/Fuzz/run-fuzzers`): runs libFuzzer on
/// the target named by `RIDESTREAM_FUZZ_TARGET`, first writing its seeds into
/// `RIDESTREAM_FUZZ_SEEDS` when set. Built plainly: `ridestream-fuzz seeds TARGET DIR` writes
/// the seeds; `ridestream-fuzz replay TARGET FILE...` runs inputs through the target once (a
/// crash a fuzzer found, kept as a regression input).
@main struct FuzzMain {
    static func main() {
        #if FUZZING
        let target = FuzzTarget.current
        if let directory = ProcessInfo.processInfo.environment["RIDESTREAM_FUZZ_SEEDS"] { target.writeSeeds(to: directory) }
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
            FuzzTarget.current.run(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
            return 0
        })
        #else
        replay(Array(CommandLine.arguments.dropFirst()))
        #endif
    }

    static func replay(_ arguments: [String]) {
        guard arguments.count >= 2, let target = FuzzTarget(rawValue: arguments[1]) else {
            print("usage: ridestream-fuzz seeds|replay \(FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")) DIR|FILE...")
            exit(2)
        }
        let rest = Array(arguments.dropFirst(2))
        switch arguments[0] {
        case "seeds":
            guard let directory = rest.first else { exit(2) }
            target.writeSeeds(to: directory)
            print("\(target.seeds.count) seeds for \(target.rawValue) in \(directory)")
        case "replay":
            for file in rest {
                guard let data = FileManager.default.contents(atPath: file) else { continue }
                target.run([UInt8](data))
            }
            print("replayed \(rest.count) inputs through \(target.rawValue)")
        default:
            exit(2)
        }
    }
}
