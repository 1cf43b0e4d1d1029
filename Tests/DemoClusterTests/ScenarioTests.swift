import ClusterPool
import ConfigFormat
import Foundation
import Testing
import ThriftWire
@testable import DemoCluster

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

@Suite("Scenario files")
struct ScenarioTests {
    func parse(_ text: String) throws -> DemoScenario { try DemoScenario(parsing: text, file: "bad.toml") }

    func configError(_ text: String) -> ConfigError? {
        do {
            _ = try parse(text)
            return nil
        } catch let error as ConfigError {
            return error
        } catch {
            return nil
        }
    }

    @Test func theDefaultScenarioCoversEveryKindOfNode() throws {
        let path = repositoryRoot.appendingPathComponent("demo/scenario.toml").path
        let scenario = try DemoScenario(parsing: String(contentsOfFile: path, encoding: .utf8), file: path)
        #expect(scenario.nodes.count >= 8)
        let byName = Dictionary(uniqueKeysWithValues: scenario.nodes.map { ($0.name, $0) })
        #expect(byName["bravo"]?.protocolKind == .compact && byName["bravo"]?.transport == .header)
        #expect(byName["charlie"]?.transport == .unframed)
        #expect(try #require(byName["slowpoke"]).script.state(at: 1).latencyMillis >= 20)
        #expect(try #require(byName["grumpy"]).script.state(at: 1).errorRate > 0)
        let flappy = try #require(byName["flappy"]).script
        #expect(flappy.state(at: 7).crashed && !flappy.state(at: 10).crashed && flappy.state(at: 17).crashed)
        let phoenix = try #require(byName["phoenix"]).script
        #expect(!phoenix.state(at: 10).crashed && phoenix.state(at: 16).crashed && !phoenix.state(at: 24).crashed)
        let diskfull = try #require(byName["diskfull"]).script.state(at: 15)
        #expect(diskfull.status == .warning && diskfull.details == "disk 91% full")
        let warmup = try #require(byName["warmup"]).script
        #expect(warmup.state(at: 1).status == .starting && warmup.state(at: 13).status == .alive)
        #expect(byName["alpha"]?.script.state(at: 100) == scenario.nodes[0].script.base)
        #expect(Set(scenario.nodes.map(\.seed)).count == scenario.nodes.count)
    }

    @Test func anUnknownKeyIsNamedWithItsLineAndASuggestion() {
        let error = configError("""
            name = "x"

            [[node]]
            name = "a"
            eror_rate = 0.5
            """)
        #expect(error?.description == "bad.toml:5: node \"a\".eror_rate: unknown key (did you mean \"error_rate\"?)")
    }

    @Test func aValueOutOfRangeIsNamedWithItsLineAndTheRange() {
        let error = configError("""
            [[node]]
            name = "a"

            [[node]]
            name = "b"
            [[node.step]]
            at = 3
            error_rate = 1.5
            """)
        #expect(error?.description == "bad.toml:8: node \"b\".step[0].error_rate: must be from 0.0 to 1.0 (got 1.5)")
    }

    @Test func badEnumsDuplicatesAndMissingPartsAreNamed() {
        #expect(configError("[[node]]\nname = \"a\"\nstatus = \"FINE\"")?.description
                == "bad.toml:3: node \"a\".status: must be one of DEAD, STARTING, ALIVE, STOPPING, STOPPED, WARNING (got \"FINE\")")
        #expect(configError("[[node]]\nname = \"a\"\n[[node]]\nname = \"a\"")?.description
                == "bad.toml:4: node \"a\".name: duplicate node name \"a\"")
        #expect(configError("[[node]]\nname = \"a\"\nprotocol = \"jsn\"")?.key == "node \"a\".protocol")
        #expect(configError("[[node]]\nname = \"a\"\n[[node.step]]\nduration = 2")?.description
                == "bad.toml:3: node \"a\".step[0]: every step needs 'at' (seconds from start)")
        #expect(configError("name = \"x\"")?.message == "a scenario needs at least one [[node]]")
        #expect(configError("[[node]]\nname = \"a\"\nhang = \"yes\"")?.message == "must be true or false")
    }

    @Test func aTomlSyntaxErrorGivesItsLine() throws {
        let error = try #require(configError("[[node]]\nname = \"a\"\nlatency_ms = = 3\n"))
        #expect(error.line == 3)
        #expect(error.message.hasPrefix("TOML syntax"))
    }
}

@Suite("Built-in scenario")
struct BuiltInScenarioTests {
    @Test func theBuiltInDefaultIsTheScenarioFile() throws {
        let path = repositoryRoot.appendingPathComponent("demo/scenario.toml").path
        #expect(DemoScenario.builtInDefaultText + "\n" == (try String(contentsOfFile: path, encoding: .utf8)))
        #expect(try DemoScenario.builtInDefault().nodes.count == 9)
    }
}
