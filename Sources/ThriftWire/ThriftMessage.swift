import NIOCore

/// One whole Thrift message, as it travels between the framing codecs and the call handlers:
/// the decoded envelope plus the undecoded body (args, result or exception struct).
public struct ThriftMessage: Sendable {
    public var header: ThriftMessageHeader
    /// The bytes of the body struct, in `protocolKind`.
    public var body: ByteBuffer
    public var protocolKind: ThriftProtocolKind
    public var limits: ThriftLimits
    /// The info headers of the THeader frame it came in; empty for every other transport.
    public var infoHeaders: [THeaderInfo] = []

    public init(header: ThriftMessageHeader, body: ByteBuffer, protocolKind: ThriftProtocolKind, limits: ThriftLimits = .default) {
        self.header = header
        self.body = body
        self.protocolKind = protocolKind
        self.limits = limits
    }

    /// Parses the envelope of a whole message; the body is left undecoded.
    public init(decoding buffer: ByteBuffer, protocolKind: ThriftProtocolKind, limits: ThriftLimits = .default) throws {
        switch protocolKind {
        case .binary:
            var reader = BinaryProtocolReader(buffer, limits: limits)
            header = try reader.readMessageBegin()
            body = reader.buffer
        case .compact:
            var reader = CompactProtocolReader(buffer, limits: limits)
            header = try reader.readMessageBegin()
            body = reader.buffer
        case .json:
            var reader = JSONProtocolReader(buffer, limits: limits)
            header = try reader.readMessageBegin()
            body = try Self.jsonBody(reader.buffer, messageLength: buffer.readableBytes)
        }
        self.protocolKind = protocolKind
        self.limits = limits
    }

    /// A whole JSON message's body: what is left after the envelope, less the closing `]` (and
    /// any whitespace around it). Not parsed here: it is read where it is used, with the limits.
    static func jsonBody(_ rest: ByteBuffer, messageLength: Int) throws -> ByteBuffer {
        var end = rest.readableBytes
        let bytes = rest.readableBytesView
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 }
        while end > 0, isSpace(bytes[bytes.startIndex + end - 1]) { end -= 1 }
        guard end > 0, bytes[bytes.startIndex + end - 1] == UInt8(ascii: "]") else {
            throw ThriftWireError(.badJSON("the message does not end with ]"), at: messageLength, "message end")
        }
        end -= 1
        while end > 0, isSpace(bytes[bytes.startIndex + end - 1]) { end -= 1 }
        return rest.getSlice(at: rest.readerIndex, length: end)!
    }

    /// The id of a reply's first result field: 0 is the return value, 1 and up an exception the
    /// IDL declares; nil for a void reply (no field) or a body that cannot be read. Reads one
    /// field header, not the body.
    public var resultFieldID: Int16? {
        func first(_ reader: inout some ThriftProtocolReader) -> Int16? {
            guard (try? reader.readStructBegin()) != nil, let field = try? reader.readFieldBegin(), field.type != .stop else { return nil }
            return field.id
        }
        switch protocolKind {
        case .binary:
            var reader = BinaryProtocolReader(body, limits: limits)
            return first(&reader)
        case .compact:
            var reader = CompactProtocolReader(body, limits: limits)
            return first(&reader)
        case .json:
            var reader = JSONProtocolReader(body, limits: limits)
            return first(&reader)
        }
    }

    /// Decodes the body as `T`. Positions in errors count from the start of the body.
    public func decodeBody<T: ThriftStruct>(as type: T.Type = T.self) throws -> T {
        switch protocolKind {
        case .binary:
            var reader = BinaryProtocolReader(body, limits: limits)
            return try T(from: &reader)
        case .compact:
            var reader = CompactProtocolReader(body, limits: limits)
            return try T(from: &reader)
        case .json:
            var reader = JSONProtocolReader(body, limits: limits)
            return try T(from: &reader)
        }
    }

    /// Encodes a whole message (envelope and body) into a buffer, ready for a framing encoder.
    public static func encode(
        _ header: ThriftMessageHeader, body: some ThriftStruct, protocolKind: ThriftProtocolKind,
        allocator: ByteBufferAllocator = ByteBufferAllocator()
    ) -> ByteBuffer {
        let buffer = allocator.buffer(capacity: 64)
        switch protocolKind {
        case .binary:
            var writer = BinaryProtocolWriter(buffer: buffer)
            writer.writeMessageBegin(header)
            body.write(to: &writer)
            return writer.buffer
        case .compact:
            var writer = CompactProtocolWriter(buffer: buffer)
            writer.writeMessageBegin(header)
            body.write(to: &writer)
            return writer.buffer
        case .json:
            var writer = JSONProtocolWriter(buffer: buffer)
            writer.writeMessageBegin(header)
            body.write(to: &writer)
            writer.writeMessageEnd()
            return writer.buffer
        }
    }

    /// A whole message as it goes on the wire: the envelope, the body bytes as they are, and,
    /// when `framed`, the frame length in front. One buffer, one copy of the body.
    public static func wireBytes(_ header: ThriftMessageHeader, body: ByteBuffer, protocolKind: ThriftProtocolKind, framed: Bool,
                                 allocator: ByteBufferAllocator) -> ByteBuffer {
        var message = allocator.buffer(capacity: body.readableBytes + header.name.utf8.count + 24)
        if framed { message.writeInteger(Int32(0)) }
        switch protocolKind {
        case .binary:
            var writer = BinaryProtocolWriter(buffer: message)
            writer.writeMessageBegin(header)
            message = writer.buffer
        case .compact:
            var writer = CompactProtocolWriter(buffer: message)
            writer.writeMessageBegin(header)
            message = writer.buffer
        case .json:
            var writer = JSONProtocolWriter(buffer: message)
            writer.writeMessageBegin(header)
            message = writer.buffer
        }
        message.writeImmutableBuffer(body)
        if protocolKind == .json { message.writeInteger(UInt8(ascii: "]")) }
        if framed { message.setInteger(Int32(message.readableBytes - 4), at: message.readerIndex) }
        return message
    }

    /// Encodes a struct alone (no envelope).
    public static func encodeStruct(_ value: some ThriftStruct, protocolKind: ThriftProtocolKind) -> ByteBuffer {
        switch protocolKind {
        case .binary:
            var writer = BinaryProtocolWriter()
            value.write(to: &writer)
            return writer.buffer
        case .compact:
            var writer = CompactProtocolWriter()
            value.write(to: &writer)
            return writer.buffer
        case .json:
            var writer = JSONProtocolWriter()
            value.write(to: &writer)
            return writer.buffer
        }
    }
}
