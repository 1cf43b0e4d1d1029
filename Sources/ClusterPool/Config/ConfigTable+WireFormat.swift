import ConfigFormat
import ThriftWire

extension ConfigTable {
    /// `protocol` (binary, compact, json) and `transport` (framed, unframed, header, http), where given.
    public func wireFormat() throws -> (protocolKind: ThriftProtocolKind?, transport: ThriftTransportKind?) {
        (try choice("protocol"), try choice("transport"))
    }

    /// `path`: an HTTP request path, for nodes and listeners of the HTTP transport.
    func httpPath() throws -> String? {
        guard let path = try string("path") else { return nil }
        guard path.hasPrefix("/"), path.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            throw error("path", "must be an HTTP path starting with / without spaces (got \"\(path)\")")
        }
        return path
    }
}
