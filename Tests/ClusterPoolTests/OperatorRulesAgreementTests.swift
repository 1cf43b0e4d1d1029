import ClusterModel
import EtcdClient
import Testing
import ThriftWire
@testable import ClusterPool
@testable import DashboardKit
@testable import SharedState

/// One set of operator rules: for random clusters (nodes up, starting or refusing; drained;
/// weights from 0 up) and random commands, the dashboard's preview, the local authority (the
/// real pool on a driven clock) and the etcd authority's decision (over a shared state holding
/// the same drains and weights) reach the same outcome, with the same reason text.
@Suite("Operator rules agree everywhere")
struct OperatorRulesAgreementTests {
    enum Outcome: Equatable {
        case done
        case refused(String)
    }

    struct Scenario: CustomStringConvertible {
        var names: [String]
        var serving: [String: ScriptedServer.Behaviour]
        var drained: Set<String>
        var weights: [String: Int]
        var minRoutable: Int
        var panicThreshold: Double
        var command: OperatorCommand

        var description: String {
            "nodes \(names.map { "\($0)\(drained.contains($0) ? " drained" : "")\(weights[$0].map { " w\($0)" } ?? "") \(serving[$0].map { "\($0)" } ?? "up")" }), "
                + "min_routable \(minRoutable), panic \(panicThreshold): \(command)"
        }

        static func random(_ r: inout SeededGenerator) -> Scenario {
            let names = Array(["a", "b", "c", "d", "e"].prefix(Int.random(in: 2...5, using: &r)))
            var serving: [String: ScriptedServer.Behaviour] = [:], drained = Set<String>(), weights: [String: Int] = [:]
            for name in names {
                switch Int.random(in: 0..<6, using: &r) {
                case 0: serving[name] = .status(.starting)
                case 1: serving[name] = .refuse
                default: break
                }
                if Int.random(in: 0..<4, using: &r) == 0 { drained.insert(name) }
                if Int.random(in: 0..<4, using: &r) == 0 { weights[name] = [0, 1, 50, 250].randomElement(using: &r)! }
            }
            let target = Int.random(in: 0..<8, using: &r) == 0 ? "zz" : names.randomElement(using: &r)!
            let force = Bool.random(using: &r)
            let command: OperatorCommand = switch Int.random(in: 0..<5, using: &r) {
            case 0, 1: .drain(node: target, force: force)
            case 2: .undrain(node: target)
            case 3: .setWeight(node: target, weight: [0, 0, 50, 100, 1001].randomElement(using: &r)!, force: force)
            default: .resetWeight(node: target)
            }
            return Scenario(names: names, serving: serving, drained: drained, weights: weights, minRoutable: Int.random(in: 0...names.count, using: &r),
                            panicThreshold: [0, 0.5, 0.9].randomElement(using: &r)!, command: command)
        }
    }

    @Test func thePreviewTheLocalAuthorityAndTheEtcdDecisionAgree() throws {
        var r = SeededGenerator(seed: 20261207)
        var refusals = 0
        for round in 0..<150 {
            let scenario = Scenario.random(&r)
            let cluster = try DrivenCluster(scenario.names, configure: {
                $0.minRoutable = 0
                $0.panicThreshold = scenario.panicThreshold
            }, before: { cluster in
                for (name, behaviour) in scenario.serving { cluster[name].behaviour = behaviour }
            })
            cluster.at(ms: 1000)
            // The operator state, set past any floor by someone else; then the floor of the scenario.
            for name in scenario.drained { #expect(try cluster.execute(.drain(node: name, force: true), user: "setup").isDone) }
            for (name, weight) in scenario.weights { #expect(try cluster.execute(.setWeight(node: name, weight: weight, force: true), user: "setup").isDone) }
            cluster.core.config.minRoutable = scenario.minRoutable
            let snapshot = cluster.core.buildSnapshot()
            let shared = sharedDecision(scenario, cluster)

            var state = DashboardState(width: 120, height: 40)
            Dashboard.propose(scenario.command, &state, snapshot)
            let preview = Self.outcome(of: state)
            let local: Outcome = switch try cluster.execute(scenario.command) {
            case .done: .done
            case let .refused(reason): .refused(reason)
            }
            #expect(preview == local, "round \(round): \(scenario)")
            #expect(shared == local, "round \(round): \(scenario)")
            if case .refused = local { refusals += 1 }
        }
        // Both kinds were drawn often enough to mean something.
        #expect(refusals > 30 && refusals < 120, "\(refusals) refusals of 150")
    }

    /// The etcd authority's decision, over a shared state with the scenario's drains and weights
    /// as "setup" made them, and this instance's view of the nodes.
    func sharedDecision(_ scenario: Scenario, _ cluster: DrivenCluster) -> Outcome {
        let keys = SharedKeys(prefix: "/thrifttop/agree/")
        var kvs: [EtcdKeyValue] = []
        for (i, name) in scenario.names.enumerated() where scenario.drained.contains(name) || scenario.weights[name] != nil {
            let change = cluster.node(name).state.lastChange!
            let record = SharedNodeRecord(drained: scenario.drained.contains(name), weight: scenario.weights[name], change: change)
            kvs.append(EtcdKeyValue(key: keys.node(name), value: record.encoded(), createRevision: Int64(i + 1), modRevision: Int64(i + 1), version: 1))
        }
        var view = SharedView(keys: keys)
        _ = view.replace(with: EtcdRange(revision: 10, kvs: kvs), announcing: false)
        let context = SharedDecision.Context(view: view, nodes: cluster.core.operatorViews(), settings: cluster.core.config.ruleSettings,
                                             user: "tester", instance: cluster.core.instanceName, time: 1_800_000_000, reason: nil)
        return switch SharedDecision.decide(scenario.command, context) {
        case .write: .done
        case let .refuse(reason): .refused(reason)
        }
    }

    /// What the dashboard did with a proposed command: asked to confirm (it would be done), or
    /// said why not (a refusal dialog for the floor, the status row for the rest).
    static func outcome(of state: DashboardState) -> Outcome {
        switch state.overlay {
        case .confirm: .done
        case let .refusal(refusal): .refused(refusal.reason)
        default: .refused(state.status?.text ?? "(nothing said)")
        }
    }
}
