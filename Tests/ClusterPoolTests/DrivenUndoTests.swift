import ClusterModel
import Testing
@testable import ClusterPool

/// Undo over the admin API: each operator undoes their own last action, never someone else's,
/// and not after someone else changed that node.
@Suite("Undo per operator")
struct DrivenUndoTests {
    @Test func eachOperatorUndoesTheirOwnLastAction() throws {
        let cluster = try DrivenCluster(["a", "b", "c"])
        cluster.at(ms: 10)
        #expect(try cluster.execute(.drain(node: "a"), user: "alice").isDone)
        #expect(try cluster.execute(.setWeight(node: "b", weight: 50), user: "bob").isDone)
        #expect(try cluster.execute(.undo, user: "alice") == .done("undid drain a"))
        #expect(!cluster.node("a").state.drained)
        #expect(cluster.node("b").state.weight == 50, "bob's action stays")
        #expect(try cluster.execute(.undo, user: "alice") == .refused(#"nothing of yours to undo (the last action, "weight b 100 → 50", is bob's)"#))
        #expect(try cluster.execute(.undo, user: "bob") == .done("undid weight b 100 → 50"))
    }

    @Test func anUndoIsRefusedOnceSomeoneElseChangedThatNode() throws {
        let cluster = try DrivenCluster(["a", "b", "c"])
        cluster.at(ms: 10)
        #expect(try cluster.execute(.setWeight(node: "a", weight: 300), user: "alice").isDone)
        #expect(try cluster.execute(.setWeight(node: "a", weight: 20), user: "bob").isDone)
        #expect(try cluster.execute(.undo, user: "alice")
                == .refused(#"cannot undo "weight a 100 → 300": bob on \#(cluster.core.instanceName) changed a since (weight a 300 → 20)"#))
        #expect(cluster.node("a").state.weight == 20)
        // Bob undoes his; then Alice's is the node's last change again, and may be undone.
        #expect(try cluster.execute(.undo, user: "bob").isDone)
        #expect(try cluster.execute(.undo, user: "alice")
                == .refused(#"cannot undo "weight a 100 → 300": bob on \#(cluster.core.instanceName) changed a since (weight a 20 → 300)"#),
                "bob's undo was a change too: alice must look before she undoes")
    }
}
