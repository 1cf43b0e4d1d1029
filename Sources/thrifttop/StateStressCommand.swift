import ArgumentParser
import ClusterPool

/// A bench/test helper: rewrites an operator state file as fast as it can, so a test can kill
/// the process mid-write and check the file is never torn.
struct StateStressCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "state-stress",
        abstract: "Rewrite an operator state file in a loop (for crash-safety tests).",
        version: ThrifttopVersion.text,
        shouldDisplay: false
    )

    @Option(help: "The state file to rewrite.")
    var file: String

    @Option(help: "How many versions to write.")
    var iterations = 100_000

    func run() throws {
        let persistence = OperatorPersistence(stateFile: file, auditLog: nil)
        for i in 0..<iterations {
            // Every version is self-consistent: the drained node's name carries the same number
            // as the weight, and the padding makes each write span several pages.
            let state = OperatorState(drained: ["node-\(i)", String(repeating: "x", count: 20_000)], weights: ["version": i])
            try persistence.save(state)
        }
    }
}
