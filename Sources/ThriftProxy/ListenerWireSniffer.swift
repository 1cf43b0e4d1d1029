import ClusterPool
import NIOCore
import NIOHTTP1
import ThriftWire

/// Decides from a client connection's first bytes whether it speaks HTTP (THttpClient) or a
/// Thrift byte stream, and sets up the rest of the pipeline for it: NIO's HTTP server codec and
/// `HTTPThriftServer`, or `ClientWireDecoder`. Then it steps aside.
final class ListenerWireSniffer: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let config: ListenerConfig
    private let limits: ThriftLimits
    private var buffered: ByteBuffer?

    init(config: ListenerConfig, limits: ThriftLimits) {
        self.config = config
        self.limits = limits
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        if var earlier = buffered {
            earlier.writeBuffer(&bytes)
            bytes = earlier
        }
        guard let http = Self.looksLikeHTTP(bytes) else {
            buffered = bytes
            return
        }
        buffered = nil
        do {
            let sync = context.pipeline.syncOperations
            if http, config.transport == .auto || config.transport == .fixed(.http) {
                try sync.addHandlers([HTTPResponseEncoder(), ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes)),
                                      HTTPThriftServer(path: config.httpPath, protocolSetting: config.protocolKind, limits: limits)],
                                     position: .after(self))
            } else if config.transport == .fixed(.http) {
                throw ProxyInputError("the client does not speak HTTP (first bytes \(HexBytes.text(bytes.readableBytesView.prefix(6)))), "
                                      + "but this listener is set to transport = \"http\"")
            } else {
                try sync.addHandler(ByteToMessageHandler(ClientWireDecoder(listener: config, limits: limits)), position: .after(self))
            }
        } catch {
            context.fireErrorCaught(error)
            return
        }
        context.fireChannelRead(wrapInboundOut(bytes))
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    /// Whether the bytes begin an HTTP request (an upper-case method and a space); nil while too
    /// few have come to tell.
    static func looksLikeHTTP(_ bytes: ByteBuffer) -> Bool? {
        let view = bytes.readableBytesView
        for (index, byte) in view.prefix(9).enumerated() {
            if byte == UInt8(ascii: " ") { return index >= 3 }
            guard (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) else { return false }
        }
        return view.count >= 9 ? false : nil
    }
}

@available(*, unavailable)
extension ListenerWireSniffer: Sendable {}
