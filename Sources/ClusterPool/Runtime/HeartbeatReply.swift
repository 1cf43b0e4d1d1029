import ClusterModel
import ThriftWire

extension HeartbeatKind {
    /// The method a heartbeat calls.
    public var methodName: String {
        switch self {
        case .fb303: FB303.GetStatus.name
        case let .method(name): name
        }
    }

    /// What a heartbeat reply says: the fb303 status, or nil for a named-method heartbeat, where
    /// any well-formed reply — a TApplicationException (UNKNOWN_METHOD included) as much as a
    /// result — proves the Thrift stack answers. Throws the TApplicationException of a failed
    /// `getStatus`, or `missingResult` when its reply has no status.
    public func interpret(_ reply: ThriftProbeReply) throws -> FBStatus? {
        switch (self, reply) {
        case let (.fb303, .result(successI32: code)):
            // No status is missingResult, as for any fb303 call.
            return try FB303.GetStatus.success(from: .init(success: code.map(FBStatus.init(code:))))
        case let (.fb303, .applicationException(error)):
            throw error
        case (.method, _):
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
