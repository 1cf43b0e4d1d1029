import ThriftWire

/// What a node's transport needs besides its kind: THeader's transforms (`transforms`) and
/// HTTP's request path (`path`); the HTTP Host header comes from the node's address.
public struct TransportOptions: Sendable, Equatable {
    /// Applied to every THeader frame sent to the node (only zlib exists).
    public var headerTransforms: [THeaderTransform]
    /// The path of every POST to an HTTP node.
    public var httpPath: String
    /// The Host header of those POSTs: `host:port`, set when connecting.
    public var httpHost: String

    public init(headerTransforms: [THeaderTransform] = [], httpPath: String = "/", httpHost: String = "") {
        self.headerTransforms = headerTransforms
        self.httpPath = httpPath
        self.httpHost = httpHost
    }

    /// The same, with the Host header for a server at `host:port`.
    func at(host: String, port: Int) -> TransportOptions {
        var options = self
        options.httpHost = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        return options
    }
}
