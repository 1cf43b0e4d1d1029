import NIOCore
import ThriftWire

extension HeartbeatKind {
    /// The method a heartbeat calls.
    public var methodName: String {
        switch self {
        case .fb303: FB303.GetStatus.name
        case let .method(name): name
        }
    }

    /// An encoded empty args struct — one stop byte, the same in both protocols: the args of a
    /// heartbeat and of fb303's other no-argument calls.
    public static let emptyArgs = ByteBuffer(bytes: [0])

    /// What a heartbeat reply says: the fb303 status, or nil for a named-method heartbeat, where
    /// any well-formed reply — a TApplicationException (UNKNOWN_METHOD included) as much as a
    /// result — proves the Thrift stack answers. Throws the TApplicationException of a failed
    /// `getStatus`, or the wire error of a malformed reply.
    public func interpret(_ reply: ThriftMessage) throws -> FBStatus? {
        switch self {
        case .fb303:
            return try FB303.GetStatus.success(from: try reply.result(as: FB303.GetStatus.Result.self))
        case .method:
            if reply.header.type == .exception {
                _ = try reply.decodeBody(as: TApplicationException.self)
            } else {
                _ = try reply.decodeBody(as: ThriftEmptyStruct.self)
            }
            return nil
        }
    }
}

extension FBStatus {
    /// The pool state an fb303 status maps to (DESIGN.md): ALIVE up, WARNING degraded but
    /// routable, STARTING not yet routable, STOPPING draining itself, STOPPED/DEAD down.
    /// Values outside the enum are kept and treated as degraded.
    public var health: NodeHealth {
        switch self {
        case .alive: .up
        case .warning, .unknown: .degraded
        case .starting: .starting
        case .stopping: .draining
        case .stopped, .dead: .down
        }
    }
}

extension NodeHealth {
    /// Whether a node in this state takes new calls (operator drain and weight aside).
    public var isServing: Bool { self == .up || self == .degraded }
}
