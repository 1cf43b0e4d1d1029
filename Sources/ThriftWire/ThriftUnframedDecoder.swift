import NIOCore

/// Splits an unframed (TBufferedTransport) byte stream into messages by parsing each one.
///
/// Nothing on the wire says where an unframed message ends, so the decoder parses the envelope
/// and skips the body struct; a message that is not complete yet waits for more bytes. Lengths
/// inside it are bounded by `limits.maxFrameSize` counted from the message start, so a hostile
/// length fails at once instead of making the decoder wait for (or buffer) gigabytes.
///
/// A partial message is re-parsed from its start when more bytes arrive: cheap for the small
/// messages of heartbeats and typical calls, quadratic for huge ones trickling in.
public struct ThriftUnframedDecoder: ByteToMessageDecoder {
    public typealias InboundOut = ByteBuffer

    public let protocolKind: ThriftProtocolKind
    public let limits: ThriftLimits

    public init(protocolKind: ThriftProtocolKind, limits: ThriftLimits = .default) {
        self.protocolKind = protocolKind
        self.limits = limits
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let message = try nextMessage(&buffer) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(message))
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while let message = try nextMessage(&buffer) {
            context.fireChannelRead(Self.wrapInboundOut(message))
        }
        if buffer.readableBytes > 0 {
            let available = buffer.readableBytes
            buffer.moveReaderIndex(forwardBy: available)
            throw ThriftWireError(.truncated(needed: 1, available: available), at: available, "message cut off by connection close")
        }
        return .needMoreData
    }

    /// The next whole message, nil while more bytes are needed. Usable without a channel.
    public func nextMessage(_ buffer: inout ByteBuffer) throws -> ByteBuffer? {
        guard buffer.readableBytes > 0 else { return nil }
        let consumed: Int
        do {
            consumed = try Self.measure(buffer, protocolKind: protocolKind, limits: limits)
        } catch let error as ThriftWireError {
            if case .truncated = error.kind {
                if buffer.readableBytes >= limits.maxFrameSize {
                    throw ThriftWireError(.messageTooLarge(size: buffer.readableBytes, limit: limits.maxFrameSize), at: error.offset, error.context)
                }
                return nil
            }
            throw error
        }
        return buffer.readSlice(length: consumed)!
    }

    /// The length of the complete message at the start of `buffer`, or a `.truncated` error.
    static func measure(_ buffer: ByteBuffer, protocolKind: ThriftProtocolKind, limits: ThriftLimits) throws -> Int {
        switch protocolKind {
        case .binary:
            var reader = BinaryProtocolReader(streaming: buffer, limits: limits)
            _ = try reader.readMessageBegin()
            try reader.skip(.struct)
            return buffer.readableBytes - reader.remaining
        case .compact:
            if let mismatch = framedCompactMismatch(buffer) { throw mismatch }
            var reader = CompactProtocolReader(streaming: buffer, limits: limits)
            _ = try reader.readMessageBegin()
            try reader.skip(.struct)
            return buffer.readableBytes - reader.remaining
        case .json:
            var reader = JSONProtocolReader(streaming: buffer, limits: limits)
            _ = try reader.readMessageBegin()
            try reader.skip(.struct)
            try reader.readMessageEnd()
            return buffer.readableBytes - reader.remaining
        }
    }

    /// A frame length (small, so starting with 00) followed by 82: a framed compact message.
    static func framedCompactMismatch(_ buffer: ByteBuffer) -> ThriftWireError? {
        guard buffer.readableBytes >= 5,
              buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) == 0,
              buffer.getInteger(at: buffer.readerIndex + 4, as: UInt8.self) == CompactProtocolConstants.protocolID
        else { return nil }
        return ThriftWireError(
            .transportMismatch("a framed message (4-byte length, then 82) arrived at an unframed reader"),
            at: 0, "message header")
    }
}

/// The pipeline pieces for one transport: a decoder that yields whole messages and, for framed,
/// an encoder that adds the length. Handlers after them read and write whole-message buffers.
public enum ThriftFraming {
    /// The decoder that yields whole messages for `transport` (for THeader, whole frames, which
    /// the handler after it unwraps). HTTP has a codec of its own: not a transport to pass here.
    public static func decoder(
        transport: ThriftTransportKind, protocolKind: ThriftProtocolKind, limits: ThriftLimits = .default
    ) -> any ChannelHandler {
        switch transport {
        case .framed, .header: ByteToMessageHandler(ThriftFrameDecoder(maxFrameSize: limits.maxFrameSize))
        case .unframed: ByteToMessageHandler(ThriftUnframedDecoder(protocolKind: protocolKind, limits: limits))
        case .http: preconditionFailure("HTTP messages come from NIO's HTTP codec, not a Thrift framing decoder")
        }
    }
}
