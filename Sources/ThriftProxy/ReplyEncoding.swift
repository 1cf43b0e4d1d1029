import ClusterPool
import NIOCore
import ThriftWire

/// Writes what goes back to a client: a node's reply under the client's seqid, in the client's
/// protocol and transport, or the proxy's own TApplicationException.
struct ReplyEncoder {
    let protocolKind: ThriftProtocolKind
    let transport: ThriftTransportKind
    /// A THeader client's frame header: replies go in a frame like it.
    var header: THeaderMetadata? = nil
    let allocator: ByteBufferAllocator

    /// The node's reply, re-headed with the client's seqid; the body passes through as it is
    /// when both speak one protocol, and is translated otherwise.
    func relay(_ reply: ThriftMessage, sequenceID: Int32) throws -> ByteBuffer {
        let body = try ThriftTranslation.translateStruct(reply.body, from: reply.protocolKind, to: protocolKind, limits: reply.limits)
        return encode(ThriftMessageHeader(name: reply.header.name, type: reply.header.type, sequenceID: sequenceID), body: body,
                      infoHeaders: reply.infoHeaders)
    }

    /// What the client gets for its call `header`: the node's reply, or an INTERNAL_ERROR that
    /// says why there is none (`explain` words a pool error).
    func answer(_ result: Result<PoolReply, any Error>, to header: ThriftMessageHeader, explain: (any Error) -> String) -> ByteBuffer {
        switch result {
        case let .success(reply):
            guard let message = reply.message else {
                return internalError("thrifttop: no reply from node \(reply.node)", method: header.name, sequenceID: header.sequenceID)
            }
            do {
                return try relay(message, sequenceID: header.sequenceID)
            } catch {
                return internalError("thrifttop: cannot translate the reply of node \(reply.node) to \(protocolKind): \(error)",
                                     method: header.name, sequenceID: header.sequenceID)
            }
        case let .failure(error):
            return internalError(explain(error), method: header.name, sequenceID: header.sequenceID)
        }
    }

    /// An INTERNAL_ERROR TApplicationException for the client's call.
    func internalError(_ message: String, method: String, sequenceID: Int32) -> ByteBuffer {
        let body = ThriftMessage.encodeStruct(TApplicationException(.internalError, message: message), protocolKind: protocolKind)
        return encode(ThriftMessageHeader(name: method, type: .exception, sequenceID: sequenceID), body: body)
    }

    /// With THeader, the node's reply headers (a THeader node's) go back in the client's frame.
    private func encode(_ message: ThriftMessageHeader, body: ByteBuffer, infoHeaders: [THeaderInfo] = []) -> ByteBuffer {
        let bytes = ThriftMessage.wireBytes(message, body: body, protocolKind: protocolKind, framed: transport == .framed, allocator: allocator)
        guard var header else { return bytes }
        header.infoHeaders = infoHeaders
        return THeaderCodec.encode(bytes, metadata: header, allocator: allocator)
    }
}
