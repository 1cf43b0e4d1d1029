import ThriftWire

/// Everything needed to run one demo fb303 server: identity, wire format and fault script.
public struct DemoNodeSpec: Sendable, Equatable {
    public var name: String
    public var protocolKind: ThriftProtocolKind
    public var transport: ThriftTransportKind
    /// 0 lets the OS choose.
    public var port: Int
    public var version: String
    public var script: FaultScript
    public var seed: UInt64

    public init(
        name: String, protocolKind: ThriftProtocolKind = .binary, transport: ThriftTransportKind = .framed,
        port: Int = 0, version: String = "1.0.0", script: FaultScript = FaultScript(), seed: UInt64 = 1
    ) {
        self.name = name
        self.protocolKind = protocolKind
        self.transport = transport
        self.port = port
        self.version = version
        self.script = script
        self.seed = seed
    }
}
