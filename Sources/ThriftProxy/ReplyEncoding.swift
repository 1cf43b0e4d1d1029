import NIOCore
import ThriftWire

/// Writes what goes back to a client: a node's reply under the client's seqid, in the client's
/// protocol and transport, or the proxy's own TApplicationException.
struct ReplyEncoder {
    let protocolKind: ThriftProtocolKind
    let transport: ThriftTransportKind
    let allocator: ByteBufferAllocator

    /// The node's reply, re-headed with the client's seqid; the body passes through as it is
    /// when both speak one protocol, and is translated otherwise.
    func relay(_ reply: ThriftMessage, sequenceID: Int32) throws -> ByteBuffer {
        let body = try ThriftTranslation.translateStruct(reply.body, from: reply.protocolKind, to: protocolKind, limits: reply.limits)
        return encode(ThriftMessageHeader(name: reply.header.name, type: reply.header.type, sequenceID: sequenceID), body: body)
    }

    /// An INTERNAL_ERROR TApplicationException for the client's call.
    func internalError(_ message: String, method: String, sequenceID: Int32) -> ByteBuffer {
        let body = ThriftMessage.encodeStruct(TApplicationException(.internalError, message: message), protocolKind: protocolKind)
        return encode(ThriftMessageHeader(name: method, type: .exception, sequenceID: sequenceID), body: body)
    }

    private func encode(_ header: ThriftMessageHeader, body: ByteBuffer) -> ByteBuffer {
        ThriftMessage.wireBytes(header, body: body, protocolKind: protocolKind, framed: transport == .framed, allocator: allocator)
    }
}
