import NIOCore
import ThriftWire

/// The bundled cluster: one `DemoServer` per scenario node, started and stopped together.
public final class DemoCluster: Sendable {
    public let scenario: DemoScenario
    public let servers: [DemoServer]

    /// With `basePort` > 0, node i listens on `basePort + i`; otherwise the OS picks ports.
    public init(scenario: DemoScenario, group: any EventLoopGroup, basePort: Int = 0) {
        self.scenario = scenario
        self.servers = scenario.nodes.enumerated().map { index, node in
            var spec = node
            if basePort > 0 { spec.port = basePort + index }
            return DemoServer(spec: spec, group: group)
        }
    }

    /// Starts every server; if one cannot bind, the ones already started are stopped again.
    public func start() async throws {
        var started: [DemoServer] = []
        do {
            for server in servers {
                try await server.start()
                started.append(server)
            }
        } catch {
            for server in started { await server.stop() }
            throw error
        }
    }

    public func stop() async {
        for server in servers { await server.stop() }
    }

    /// A cluster config for the dashboard pointing at these servers (`thrifttop CLUSTER.toml`).
    public func clusterConfig() -> String {
        var text = """
        # Written by `thrifttop demo-servers` for the scenario "\(scenario.name)".
        name = "\(scenario.name)"

        """
        for server in servers {
            text += """

            [[node]]
            name = "\(server.spec.name)"
            address = "\(server.address)"
            protocol = "\(server.spec.protocolKind.rawValue)"
            transport = "\(server.spec.transport.rawValue)"

            """
        }
        return text
    }
}
