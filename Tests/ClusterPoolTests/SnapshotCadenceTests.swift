import NIOCore
import Testing
@testable import ClusterPool

/// How often the pool publishes snapshots to readers: each one copies every node's snapshot.
@Suite("Snapshot cadence")
struct SnapshotCadenceTests {
    static func core(nodes: Int) throws -> PoolCore {
        let config = ClusterConfig(name: "cadence", nodes: (0..<nodes).map {
            NodeConfig(name: "n\($0)", address: NodeAddress(host: "127.0.0.1", port: 9000 + $0 % 1000), settings: NodeSettings())
        })
        return try PoolCore(config: config, loop: LiveCluster.poolGroup.next(), options: PoolOptions(seed: 1))
    }

    @Test func smallClustersPublishAtTenHertzAndLargeOnesSlowerInProportion() throws {
        #expect(try Self.core(nodes: 9).snapshotPeriod == .milliseconds(100))
        #expect(try Self.core(nodes: 4000).snapshotPeriod == .milliseconds(100))
        #expect(try Self.core(nodes: 10_000).snapshotPeriod == .milliseconds(250))
        #expect(try Self.core(nodes: 40_000).snapshotPeriod == .seconds(1))
    }
}
