/// A node's health as the pool sees it. The dashboard shows the word and a glyph, never the
/// colour alone.
public enum NodeHealth: String, Sendable, CaseIterable, Codable {
    /// Not heard from yet.
    case unknown
    /// fb303 ALIVE (or any well-formed reply to a non-fb303 heartbeat): routable.
    case up
    /// fb303 WARNING: still routable, but worth a look.
    case degraded
    /// fb303 STARTING: not routable yet.
    case starting
    /// Drained by the operator, or the server says STOPPING: no new calls.
    case draining
    /// Heartbeats late (phi accrual over threshold) or failing but not yet `fall` times.
    case suspect
    /// Connection refused/reset/closed, `fall` failed heartbeats, or fb303 STOPPED/DEAD.
    case down

    /// Whether a node in this state takes new calls (operator drain and weight aside).
    public var isServing: Bool { self == .up || self == .degraded }

    /// The state's word, in events and on screen. A node the operator drained is "drained"
    /// everywhere, whether or not calls are still in flight; `.draining` without an operator
    /// drain is the server saying fb303 STOPPING: "stopping".
    public func word(drained: Bool) -> String {
        self == .draining ? (drained ? "drained" : "stopping") : rawValue
    }

    /// One character that stands for the state without colour.
    public var glyph: String {
        switch self {
        case .unknown: "?"
        case .up: "●"
        case .degraded: "◐"
        case .starting: "◔"
        case .draining: "◌"
        case .suspect: "◍"
        case .down: "✖"
        }
    }
}

/// How severe an event is.
public enum EventSeverity: Int, Sendable, Comparable, CaseIterable, CustomStringConvertible {
    case info = 0
    case notice = 1
    case warning = 2
    case error = 3

    public static func < (a: EventSeverity, b: EventSeverity) -> Bool { a.rawValue < b.rawValue }

    public var description: String {
        switch self {
        case .info: "info"
        case .notice: "notice"
        case .warning: "warning"
        case .error: "error"
        }
    }
}

/// In JSON a severity is its word (`"warning"`), not its rank.
extension EventSeverity: Codable {
    public init(from decoder: any Decoder) throws {
        let word = try decoder.singleValueContainer().decode(String.self)
        guard let severity = Self.allCases.first(where: { $0.description == word }) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                debugDescription: "unknown severity \"\(word)\" (info, notice, warning or error)"))
        }
        self = severity
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
