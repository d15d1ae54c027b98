import ArgumentParser
import RidePipeline

/// A command's failure: the message printed as "error: ..." on standard error, and the exit
/// code (2 for a configuration or command line that cannot run, 1 for everything else).
struct CommandFailure: Error, CustomStringConvertible {
    var description: String
    var exitCode: Int32

    init(_ description: String, exitCode: Int32) {
        self.description = description
        self.exitCode = exitCode
    }

    /// A pipeline error, with the exit code its kind calls for.
    init(_ error: PipelineError) {
        switch error {
        case let .configuration(problem): self.init(problem.description, exitCode: 2)
        default: self.init(error.description, exitCode: 1)
        }
    }

    /// Prints the message and exits with the code.
    func exit(_ terminal: Terminal) -> ExitCode {
        terminal.endStatus()
        terminal.line("error: \(description)", to: .standardError)
        return ExitCode(exitCode)
    }
}
