import ConfigFormat
import ThriftWire

extension ConfigTable {
    /// `protocol` (binary | compact) and `transport` (framed | unframed), where given.
    public func wireFormat() throws -> (protocolKind: ThriftProtocolKind?, transport: ThriftTransportKind?) {
        (try choice("protocol"), try choice("transport"))
    }
}
