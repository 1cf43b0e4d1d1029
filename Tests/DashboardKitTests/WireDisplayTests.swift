import ClusterModel
import Testing
@testable import DashboardKit

/// The node detail says how the pool speaks to a node (transport/protocol, THeader's transforms,
/// HTTP's path), and a THeader node's reply headers.
@Suite("Wire forms in the node detail")
struct WireDisplayTests {
    func lines(_ configure: (inout NodeSnapshot) -> Void) -> [String] {
        var snapshot = Fixture.snapshot
        configure(&snapshot.nodes[0])
        return NodeDetailWidget(node: snapshot.nodes[0], snapshot: snapshot, scroll: 0).lines(width: 120).map(\.text)
    }

    @Test func theDetailShowsTheWireFormAndTHeaderReplyHeaders() {
        let header = lines {
            $0.wire = "header/compact zlib"
            $0.replyHeaders = ["x-served-by=bravo", "region=eu"]
        }
        #expect(header.contains { $0.hasPrefix("Connection   connected · header/compact zlib") }, "\(header)")
        #expect(header.contains("THeader      reply headers x-served-by=bravo  region=eu"), "\(header)")
        let http = lines { $0.wire = "http/json POST /thrift" }
        #expect(http.contains { $0.hasPrefix("Connection   connected · http/json POST /thrift") })
        #expect(!http.contains { $0.hasPrefix("THeader") }, "no header line for a node without reply headers")
    }
}
