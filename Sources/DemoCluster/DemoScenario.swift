import ClusterPool
import ThriftWire
import TOMLKit

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
        let locator = TOMLKeyLocator(source: source)
        let root: TOMLTable
        do {
            root = try TOMLTable(string: source)
        } catch let error as TOMLParseError {
            throw ConfigError(file: file, line: error.source.begin.line, key: "", message: "TOML syntax: \(error.description)")
        }
        let reader = TableReader(file: file, locator: locator)
        try reader.checkKeys(root, allowed: Self.topKeys, path: [])
        let name = try reader.string(root, "name", path: []) ?? "demo"
        let seed = try reader.int(root, "seed", path: [], range: 0...Int.max).map(UInt64.init) ?? 1

        var defaults = DemoNodeSpec(name: "")
        if let table = try reader.table(root, "defaults", path: []) {
            let path = [TOMLKeyLocator.Segment("defaults")]
            try reader.checkKeys(table, allowed: Self.defaultKeys, path: path)
            try reader.readNodeCommon(table, into: &defaults, path: path)
            defaults.script.base = try reader.faultChange(table, path: path).applied(to: FaultState())
        }

        var nodes: [DemoNodeSpec] = []
        let nodeTables = try reader.tables(root, "node", path: [])
        if nodeTables.isEmpty {
            throw ConfigError(file: file, line: nil, key: "node", message: "a scenario needs at least one [[node]]")
        }
        for (index, table) in nodeTables.enumerated() {
            let path = [TOMLKeyLocator.Segment("node", index)]
            try reader.checkKeys(table, allowed: Self.nodeKeys, path: path)
            var spec = defaults
            guard let nodeName = try reader.string(table, "name", path: path), !nodeName.isEmpty else {
                throw reader.error(path, nil, "every node needs a name")
            }
            if nodes.contains(where: { $0.name == nodeName }) {
                throw reader.error(path, "name", "duplicate node name \"\(nodeName)\"")
            }
            spec.name = nodeName
            spec.seed = seed &+ UInt64(index + 1) &* 0x9E37_79B9_7F4A_7C15
            try reader.readNodeCommon(table, into: &spec, path: path)
            spec.script.base = try reader.faultChange(table, path: path).applied(to: spec.script.base)
            spec.script.steps = []
            for (stepIndex, stepTable) in try reader.tables(table, "step", path: path).enumerated() {
                let stepPath = path + [TOMLKeyLocator.Segment("step", stepIndex)]
                try reader.checkKeys(stepTable, allowed: Self.stepKeys, path: stepPath)
                guard let at = try reader.number(stepTable, "at", path: stepPath, range: 0...1e9) else {
                    throw reader.error(stepPath, nil, "every step needs 'at' (seconds from start)")
                }
                let duration = try reader.number(stepTable, "duration", path: stepPath, range: 0.001...1e9)
                let every = try reader.number(stepTable, "every", path: stepPath, range: 0.001...1e9)
                if let every, let duration, duration > every {
                    throw reader.error(stepPath, "duration", "must not be longer than 'every' (\(every) s)")
                }
                if every != nil && duration == nil {
                    throw reader.error(stepPath, "every", "a repeating step needs a 'duration'")
                }
                spec.script.steps.append(FaultStep(at: at, duration: duration, every: every, change: try reader.faultChange(stepTable, path: stepPath)))
            }
            nodes.append(spec)
        }
        self.init(name: name, seed: seed, nodes: nodes)
    }
}

extension FaultChange {
    func applied(to state: FaultState) -> FaultState {
        var state = state
        apply(to: &state)
        return state
    }
}

/// Typed, located reads from TOMLKit tables.
struct TableReader {
    let file: String
    let locator: TOMLKeyLocator

    func error(_ path: [TOMLKeyLocator.Segment], _ key: String?, _ message: String) -> ConfigError {
        let keyPath = (path.map { s in s.index.map { "\(s.name)[\($0)]" } ?? s.name } + [key].compactMap { $0 }).joined(separator: ".")
        return ConfigError(file: file, line: locator.line(of: key, in: path) ?? locator.line(of: nil, in: path), key: keyPath, message: message)
    }

    func checkKeys(_ table: TOMLTable, allowed: [String], path: [TOMLKeyLocator.Segment]) throws {
        for key in table.keys where !allowed.contains(key) {
            let hint = NameSuggestion.closest(to: key, in: allowed).map { " (did you mean \"\($0)\"?)" } ?? ""
            throw error(path, key, "unknown key\(hint)")
        }
    }

    func string(_ table: TOMLTable, _ key: String, path: [TOMLKeyLocator.Segment]) throws -> String? {
        guard let value = table[key] else { return nil }
        guard let text = value.string else { throw error(path, key, "must be a string") }
        return text
    }

    func bool(_ table: TOMLTable, _ key: String, path: [TOMLKeyLocator.Segment]) throws -> Bool? {
        guard let value = table[key] else { return nil }
        guard let flag = value.bool else { throw error(path, key, "must be true or false") }
        return flag
    }

    func int(_ table: TOMLTable, _ key: String, path: [TOMLKeyLocator.Segment], range: ClosedRange<Int>) throws -> Int? {
        guard let value = table[key] else { return nil }
        guard let number = value.int else { throw error(path, key, "must be a whole number") }
        guard range.contains(number) else { throw error(path, key, "must be from \(range.lowerBound) to \(range.upperBound) (got \(number))") }
        return number
    }

    func number(_ table: TOMLTable, _ key: String, path: [TOMLKeyLocator.Segment], range: ClosedRange<Double>) throws -> Double? {
        guard let value = table[key] else { return nil }
        guard let number = value.double ?? value.int.map(Double.init) else { throw error(path, key, "must be a number") }
        guard range.contains(number) else { throw error(path, key, "must be from \(range.lowerBound) to \(range.upperBound) (got \(number))") }
        return number
    }

    func table(_ table: TOMLTable, _ key: String, path: [TOMLKeyLocator.Segment]) throws -> TOMLTable? {
        guard let value = table[key] else { return nil }
        guard let inner = value.table else { throw error(path, key, "must be a table") }
        return inner
    }

    func tables(_ table: TOMLTable, _ key: String, path: [TOMLKeyLocator.Segment]) throws -> [TOMLTable] {
        guard let value = table[key] else { return [] }
        guard let array = value.array else { throw error(path, key, "must be an array of tables ([[\(key)]])") }
        return try array.map { element in
            guard let inner = element.table else { throw error(path, key, "must be an array of tables ([[\(key)]])") }
            return inner
        }
    }

    func readNodeCommon(_ table: TOMLTable, into spec: inout DemoNodeSpec, path: [TOMLKeyLocator.Segment]) throws {
        if let text = try string(table, "protocol", path: path) {
            guard let kind = ThriftProtocolKind(rawValue: text) else { throw error(path, "protocol", "must be \"binary\" or \"compact\" (got \"\(text)\")") }
            spec.protocolKind = kind
        }
        if let text = try string(table, "transport", path: path) {
            guard let kind = ThriftTransportKind(rawValue: text) else { throw error(path, "transport", "must be \"framed\" or \"unframed\" (got \"\(text)\")") }
            spec.transport = kind
        }
        if let version = try string(table, "version", path: path) { spec.version = version }
    }

    func faultChange(_ table: TOMLTable, path: [TOMLKeyLocator.Segment]) throws -> FaultChange {
        var change = FaultChange()
        change.latencyMillis = try number(table, "latency_ms", path: path, range: 0...600_000)
        change.jitterMillis = try number(table, "jitter_ms", path: path, range: 0...600_000)
        change.tailMillis = try number(table, "tail_ms", path: path, range: 0...600_000)
        change.tailRate = try number(table, "tail_rate", path: path, range: 0...1)
        change.errorRate = try number(table, "error_rate", path: path, range: 0...1)
        if let text = try string(table, "status", path: path) {
            guard let status = FBStatus(name: text) else {
                throw error(path, "status", "must be one of DEAD, STARTING, ALIVE, STOPPING, STOPPED, WARNING (got \"\(text)\")")
            }
            change.status = status
        }
        change.details = try string(table, "details", path: path)
        change.hang = try bool(table, "hang", path: path)
        change.crashed = try bool(table, "crashed", path: path)
        change.garbage = try bool(table, "garbage", path: path)
        change.oversizedFrame = try bool(table, "oversized_frame", path: path)
        return change
    }
}
