import ClusterPool
import ConfigFormat
import DemoCluster
import Foundation

/// Reading the files the commands are given, with errors that name file, line and key.
enum ClusterLoading {
    static func config(_ path: String) throws -> ClusterConfig {
        try load(path, what: "cluster config") { try ClusterConfig(parsing: $0, file: path) }
    }

    /// The scenario at `path`, or the built-in default one when no path is given.
    static func scenario(_ path: String?) throws -> DemoScenario {
        guard let path else { return try DemoScenario.builtInDefault() }
        return try load(path, what: "scenario file") { try DemoScenario(parsing: $0, file: path) }
    }

    /// Reads `path` and parses it; both kinds of failure become one clear `CLIError`.
    private static func load<T>(_ path: String, what: String, parse: (String) throws -> T) throws -> T {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw CLIError(description: "cannot read \(what) \(path): \(error.localizedDescription)")
        }
        do {
            return try parse(text)
        } catch let error as ConfigError {
            throw CLIError(description: error.description)
        }
    }

    /// A pool config for running demo servers.
    static func config(for cluster: DemoCluster) -> ClusterConfig {
        var config = ClusterConfig(name: cluster.scenario.name, nodes: cluster.servers.map { server in
            var settings = NodeSettings()
            settings.protocolKind = server.spec.protocolKind
            settings.transport = server.spec.transport
            settings.detailsInterval = .seconds(10)
            return NodeConfig(name: server.spec.name, address: NodeAddress(host: "127.0.0.1", port: server.port), settings: settings)
        })
        config.minRoutable = 2
        // A real listener on a port the OS picks: the demo's traffic goes through it, and any
        // Thrift client can too (the header shows where).
        config.listeners = [ListenerConfig(address: NodeAddress(host: "127.0.0.1", port: 0))]
        config.proxy.idempotentMethods = [MethodPattern("work")]
        // One loop for the pool, its listener, the servers and their traffic (see RunCommand).
        config.proxy.threads = 1
        return config
    }
}
