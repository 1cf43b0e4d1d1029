import ConfigFormat
import ThriftWire

/// A demo cluster: the nodes to run and their fault scripts, read from a scenario TOML file
/// (`demo/scenario.toml`). See that file for the format.
public struct DemoScenario: Sendable, Equatable {
    public var name: String
    public var seed: UInt64
    public var nodes: [DemoNodeSpec]

    public init(name: String, seed: UInt64, nodes: [DemoNodeSpec]) {
        self.name = name
        self.seed = seed
        self.nodes = nodes
    }

    static let topKeys = ["name", "seed", "defaults", "node"]
    static let nodeKeys = ["name", "protocol", "transport", "version", "step"] + changeKeys
    static let defaultKeys = ["protocol", "transport", "version"] + changeKeys
    static let stepKeys = ["at", "duration", "every"] + changeKeys
    static let changeKeys = [
        "latency_ms", "jitter_ms", "tail_ms", "tail_rate", "error_rate", "status", "details",
        "hang", "crashed", "garbage", "oversized_frame",
    ]

    /// Parses scenario text; errors name `file`, the line and the key.
    public init(parsing source: String, file: String) throws {
        let root = try ConfigDocument(source: source, file: file).root
        try root.checkKeys(allowed: Self.topKeys)
        let name = try root.string("name") ?? "demo"
        let seed = try root.int("seed", range: 0...Int.max).map(UInt64.init) ?? 1

        var defaults = DemoNodeSpec(name: "")
        if let table = try root.table("defaults") {
            try table.checkKeys(allowed: Self.defaultKeys)
            try Self.readWireFormat(table, into: &defaults)
            defaults.script.base = try Self.faultChange(table).applied(to: FaultState())
        }

        var nodes: [DemoNodeSpec] = []
        let nodeTables = try root.tables("node")
        if nodeTables.isEmpty {
            throw root.error("node", "a scenario needs at least one [[node]]")
        }
        for (index, table) in nodeTables.enumerated() {
            try table.checkKeys(allowed: Self.nodeKeys)
            var spec = defaults
            guard let nodeName = try table.string("name"), !nodeName.isEmpty else {
                throw table.error(nil, "every node needs a name")
            }
            if nodes.contains(where: { $0.name == nodeName }) {
                throw table.error("name", "duplicate node name \"\(nodeName)\"")
            }
            spec.name = nodeName
            spec.seed = seed &+ UInt64(index + 1) &* 0x9E37_79B9_7F4A_7C15
            try Self.readWireFormat(table, into: &spec)
            spec.script.base = try Self.faultChange(table).applied(to: spec.script.base)
            spec.script.steps = []
            for step in try table.tables("step") {
                try step.checkKeys(allowed: Self.stepKeys)
                guard let at = try step.number("at", range: 0...1e9) else {
                    throw step.error(nil, "every step needs 'at' (seconds from start)")
                }
                let duration = try step.number("duration", range: 0.001...1e9)
                let every = try step.number("every", range: 0.001...1e9)
                if let every, let duration, duration > every {
                    throw step.error("duration", "must not be longer than 'every' (\(every) s)")
                }
                if every != nil && duration == nil {
                    throw step.error("every", "a repeating step needs a 'duration'")
                }
                spec.script.steps.append(FaultStep(at: at, duration: duration, every: every, change: try Self.faultChange(step)))
            }
            nodes.append(spec)
        }
        self.init(name: name, seed: seed, nodes: nodes)
    }

    static func readWireFormat(_ table: ConfigTable, into spec: inout DemoNodeSpec) throws {
        let wire = try table.wireFormat()
        spec.protocolKind = wire.protocolKind ?? spec.protocolKind
        spec.transport = wire.transport ?? spec.transport
        guard spec.transport != .http else {
            throw table.error("transport", "a demo server speaks framed, unframed or header; \"http\" is for real nodes")
        }
        if let version = try table.string("version") { spec.version = version }
    }

    static func faultChange(_ table: ConfigTable) throws -> FaultChange {
        var change = FaultChange()
        change.latencyMillis = try table.number("latency_ms", range: 0...600_000)
        change.jitterMillis = try table.number("jitter_ms", range: 0...600_000)
        change.tailMillis = try table.number("tail_ms", range: 0...600_000)
        change.tailRate = try table.number("tail_rate", range: 0...1)
        change.errorRate = try table.number("error_rate", range: 0...1)
        if let text = try table.string("status") {
            guard let status = FBStatus(name: text) else {
                throw table.error("status", "must be one of DEAD, STARTING, ALIVE, STOPPING, STOPPED, WARNING (got \"\(text)\")")
            }
            change.status = status
        }
        change.details = try table.string("details")
        change.hang = try table.bool("hang")
        change.crashed = try table.bool("crashed")
        change.garbage = try table.bool("garbage")
        change.oversizedFrame = try table.bool("oversized_frame")
        return change
    }
}

extension FaultChange {
    func applied(to state: FaultState) -> FaultState {
        var state = state
        apply(to: &state)
        return state
    }
}
