import ClusterModel
import Testing
@testable import DashboardKit

@Suite("Command line")
struct CommandLineTests {
    let nodes = ["alpha-1", "beta-2", "epsilon-5", "eta-7"]

    func parse(_ text: String) -> Result<OperatorCommand, OperatorCommandLine.ParseError> {
        OperatorCommandLine.parse(text, nodes: nodes)
    }

    func error(_ text: String) -> String? {
        if case let .failure(e) = parse(text) { return e.message }
        return nil
    }

    @Test func everyVerbParses() {
        #expect(parse("drain alpha-1") == .success(.drain(node: "alpha-1")))
        #expect(parse("  drain   alpha-1 force ") == .success(.drain(node: "alpha-1", force: true)))
        #expect(parse("weight alpha-1 0 force") == .success(.setWeight(node: "alpha-1", weight: 0, force: true)))
        #expect(parse("weight alpha-1 0") == .success(.setWeight(node: "alpha-1", weight: 0)))
        #expect(parse("undrain beta-2") == .success(.undrain(node: "beta-2")))
        #expect(parse("weight eta-7 0") == .success(.setWeight(node: "eta-7", weight: 0)))
        #expect(parse("weight eta-7 1000") == .success(.setWeight(node: "eta-7", weight: 1000)))
        #expect(parse("reset eta-7") == .success(.resetWeight(node: "eta-7")))
        #expect(parse("UNDO") == .success(.undo))
    }

    @Test func errorsSayWhatIsWrongAndSuggestNearMisses() {
        #expect(error("dran alpha-1")?.hasPrefix("unknown command \"dran\" (did you mean \"drain\"?)") == true)
        #expect(error("drain alpa-1") == "no node named \"alpa-1\" (did you mean \"alpha-1\"?)")
        #expect(error("drain") == "drain needs a node name: drain NAME [force]")
        #expect(error("drain alpha-1 now") == "unknown option \"now\": drain NAME [force]")
        #expect(error("weight eta-7") == "weight needs a number: weight NAME N [force] (N from 0 to 1000)")
        #expect(error("weight eta-7 0 now") == "unknown option \"now\": weight NAME N [force] (N from 0 to 1000)")
        #expect(error("weight eta-7 1001") == "the weight must be a whole number from 0 to 1000 (got \"1001\")")
        #expect(error("weight eta-7 ten") == "the weight must be a whole number from 0 to 1000 (got \"ten\")")
        #expect(error("undo now") == "undo takes no arguments")
        #expect(error("undrain a b") == "too many arguments: undrain NAME")
        #expect(error("")?.hasPrefix("type a command") == true)
    }

    @Test func tabCompletesVerbsThenNodeNames() {
        #expect(OperatorCommandLine.complete("dr", nodes: nodes) == ("drain ", []))
        #expect(OperatorCommandLine.complete("u", nodes: nodes) == ("und", ["undrain", "undo"]))
        #expect(OperatorCommandLine.complete("drain e", nodes: nodes) == ("drain e", ["epsilon-5", "eta-7"]))
        #expect(OperatorCommandLine.complete("drain ep", nodes: nodes) == ("drain epsilon-5 ", []))
        #expect(OperatorCommandLine.complete("weight ", nodes: nodes).candidates == nodes)
        #expect(OperatorCommandLine.complete("drain alpha-1 f", nodes: nodes) == ("drain alpha-1 force ", []))
        #expect(OperatorCommandLine.complete("undo ", nodes: nodes) == ("undo ", []))
        #expect(OperatorCommandLine.complete("drain zz", nodes: nodes) == ("drain zz", []))
    }
}
