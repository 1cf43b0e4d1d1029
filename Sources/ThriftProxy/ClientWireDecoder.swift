import ClusterPool
import NIOCore
import ThriftWire

/// One message from a client, whole, with the wire form its connection speaks (replies go back
/// in the same form).
struct ClientMessage {
    var message: ThriftMessage
    var transport: ThriftTransportKind
    /// A THeader client's frame header (its info headers in `message.infoHeaders`): the reply
    /// goes back under the same seqid, flags, protocol and transforms.
    var header: THeaderMetadata? = nil
}

/// Cuts a client connection's bytes into messages. With `auto` protocol or transport, the form
/// is detected once, from the first bytes: `80 01` strict binary, `82 x1` compact, `[1` JSON,
/// any of those after a 4-byte length for framed, and the THeader magic `0F FF` after it. The old non-strict binary form starts with a name
/// length, which looks like a frame length, so it is taken only where the listener says
/// `protocol = "binary"` and `transport = "unframed"`.
///
/// Never buffers more than the frame limit for a client: a frame length is checked before its
/// body is read, an unframed message is bounded as it grows.
struct ClientWireDecoder: ByteToMessageDecoder {
    typealias InboundOut = ClientMessage

    private enum State {
        case detecting
        case framed(ThriftFrameDecoder, ThriftProtocolKind)
        case unframed(ThriftUnframedDecoder)
        case header(ThriftFrameDecoder)
    }

    private var state = State.detecting
    let protocolSetting: ListenerConfig.Detect<ThriftProtocolKind>
    let transportSetting: ListenerConfig.Detect<ThriftTransportKind>
    let limits: ThriftLimits

    init(listener: ListenerConfig, limits: ThriftLimits) {
        protocolSetting = listener.protocolKind
        transportSetting = listener.transport
        self.limits = limits
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        if case .detecting = state {
            guard let detected = try detect(buffer) else { return .needMoreData }
            state = detected
        }
        switch state {
        case .detecting:
            return .needMoreData
        case let .framed(framer, protocolKind):
            guard let frame = try framer.nextFrame(&buffer) else { return .needMoreData }
            if THeaderCodec.isTHeader(frame) {
                throw ProxyInputError("the client speaks THeader (magic 0x0FFF after the frame length), but this listener is set to transport = \"framed\"")
            }
            let message = try ThriftMessage(decoding: frame, protocolKind: protocolKind, limits: limits)
            context.fireChannelRead(Self.wrapInboundOut(ClientMessage(message: message, transport: .framed)))
        case let .unframed(splitter):
            guard let bytes = try splitter.nextMessage(&buffer) else { return .needMoreData }
            let message = try ThriftMessage(decoding: bytes, protocolKind: splitter.protocolKind, limits: limits)
            context.fireChannelRead(Self.wrapInboundOut(ClientMessage(message: message, transport: .unframed)))
        case let .header(framer):
            guard let frame = try framer.nextFrame(&buffer) else { return .needMoreData }
            guard THeaderCodec.isTHeader(frame) else {
                throw ProxyInputError("a frame without the THeader magic 0x0FFF on a THeader connection")
            }
            let (message, header) = try THeaderCodec.decodeMessage(frame, limits: limits)
            if case let .fixed(wanted) = protocolSetting, wanted != header.protocolKind {
                throw ProxyInputError("the client speaks THeader with \(header.protocolKind) inside, but this listener is set to protocol = \"\(wanted)\"")
            }
            context.fireChannelRead(Self.wrapInboundOut(ClientMessage(message: message, transport: .header, header: header)))
        }
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        // A client that hangs up half-way through a message: nothing to answer.
        buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
        return .needMoreData
    }

    /// The connection's form from its first bytes; nil while too few have come.
    private func detect(_ buffer: ByteBuffer) throws -> State? {
        let bytes = buffer.readableBytesView
        func byte(_ i: Int) -> UInt8? { i < bytes.count ? bytes[bytes.startIndex + i] : nil }
        guard let b0 = byte(0), let b1 = byte(1) else { return nil }
        func make(_ kind: ThriftProtocolKind, _ transport: ThriftTransportKind) throws -> State {
            if case let .fixed(wanted) = protocolSetting, wanted != kind {
                throw ProxyInputError("the client speaks \(kind), but this listener is set to protocol = \"\(wanted)\"")
            }
            if case let .fixed(wanted) = transportSetting, wanted != transport {
                throw ProxyInputError("the client sends \(transport) messages, but this listener is set to transport = \"\(wanted)\"")
            }
            return transport == .framed
                ? .framed(ThriftFrameDecoder(maxFrameSize: limits.maxFrameSize), kind)
                : .unframed(ThriftUnframedDecoder(protocolKind: kind, limits: limits))
        }
        if case .fixed(.binary) = protocolSetting, case .fixed(.unframed) = transportSetting {
            // Strict or the old non-strict form: the binary reader takes both.
            return .unframed(ThriftUnframedDecoder(protocolKind: .binary, limits: limits))
        }
        if case let .fixed(transport) = transportSetting, case .framed = transport, case let .fixed(kind) = protocolSetting {
            return .framed(ThriftFrameDecoder(maxFrameSize: limits.maxFrameSize), kind)
        }
        if let b4 = byte(4), let b5 = byte(5), b4 == 0x0F, b5 == 0xFF {
            if case let .fixed(wanted) = transportSetting, wanted != .header {
                throw ProxyInputError("the client speaks THeader (magic 0x0FFF after the frame length), but this listener is set to transport = \"\(wanted)\"")
            }
            let length = buffer.getInteger(at: buffer.readerIndex, as: Int32.self) ?? 0
            if length < 0 || Int(length) > limits.maxFrameSize {
                throw ThriftWireError(.frameTooLarge(size: Int(length), limit: limits.maxFrameSize), at: 0, "frame header")
            }
            return .header(ThriftFrameDecoder(maxFrameSize: limits.maxFrameSize))
        }
        if let unframed = ThriftProtocolKind.of(b0, b1) { return try make(unframed, .unframed) }
        guard let b4 = byte(4), let b5 = byte(5) else { return nil }
        if let framed = ThriftProtocolKind.of(b4, b5) {
            // A frame length beyond the limit is refused before a byte of its body is buffered.
            let length = buffer.getInteger(at: buffer.readerIndex, as: Int32.self) ?? 0
            if length < 0 || Int(length) > limits.maxFrameSize {
                throw ThriftWireError(.frameTooLarge(size: Int(length), limit: limits.maxFrameSize), at: 0, "frame header")
            }
            return try make(framed, .framed)
        }
        if let other = Self.recognize(Array(bytes.prefix(8))) {
            throw ProxyInputError("the client sent \(other); this listener is set to transport = \"\(transportSetting.text)\"")
        }
        throw ProxyInputError(
            "the first bytes (\(HexBytes.text(bytes.prefix(6)))) are none of HTTP, TLS, THeader or a Thrift message "
            + "in strict binary, compact or JSON, framed or unframed (an old non-strict binary client needs protocol = \"binary\" "
            + "and transport = \"unframed\" on the listener)")
    }

    /// What a client that does not speak the listener's wire sent, from its first bytes: an HTTP
    /// request (on a listener set to another transport); nil for anything else. (A TLS
    /// ClientHello never gets here: `ListenerTLS` names it first.)
    static func recognize(_ bytes: [UInt8]) -> String? {
        guard bytes.count >= 2 else { return nil }
        let text = String(decoding: bytes.prefix(8), as: UTF8.self)
        for method in ["GET ", "POST ", "PUT ", "HEAD ", "OPTIONS ", "DELETE ", "PATCH ", "CONNECT ", "PRI * "] where text.hasPrefix(method) || method.hasPrefix(text) && text.count >= 4 {
            return "an HTTP request (\(method.dropLast()) …: THttpClient, curl or a browser)"
        }
        return nil
    }
}

/// Bytes from a client that are not what the listener takes.
struct ProxyInputError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
