import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import NIOSSL
import NIOTLS
import Testing
import TLSSupport

/// The front of a TLS listener's and the admin endpoint's connections, on embedded channels
/// whose clock the test drives: the first-bytes sniff (a ClientHello however it is cut up) and
/// the handshake guard's deadline, exactly.
@Suite("TLS server front")
struct TLSServerFrontTests {
    /// What the handlers around the one under test saw.
    final class Seen: Sendable {
        let matched = NIOLockedValueBox(0)
        let mismatched = NIOLockedValueBox(0)
        let reports = NIOLockedValueBox<[TLSHandshakeFailure]>([])
    }

    func sniffing(expectingTLS: Bool, _ seen: Seen) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(TLSSniffHandler(expectingTLS: expectingTLS, matched: { _ in
            seen.matched.withLockedValue { $0 += 1 }
        }, mismatched: { context in
            seen.mismatched.withLockedValue { $0 += 1 }
            context.close(promise: nil)
        }))
        return channel
    }

    func inbound(_ channel: EmbeddedChannel) throws -> [UInt8] {
        var bytes: [UInt8] = []
        while let buffer = try channel.readInbound(as: ByteBuffer.self) { bytes += buffer.readableBytesView }
        return bytes
    }

    @Test func aClientHelloArrivingAByteAtATimeIsMatchedOnceAndPassedOnWhole() throws {
        let seen = Seen()
        let channel = try sniffing(expectingTLS: true, seen)
        let hello: [UInt8] = [0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5]
        for byte in hello { try channel.writeInbound(ByteBuffer(bytes: [byte])) }
        #expect(seen.matched.withLockedValue { $0 } == 1 && seen.mismatched.withLockedValue { $0 } == 0)
        #expect(try inbound(channel) == hello, "every byte goes on, in order")
        #expect(throws: (any Error).self) { try channel.pipeline.syncOperations.context(handlerType: TLSSniffHandler.self) }
        #expect(try channel.finish().isClean)
    }

    @Test func plaintextOnATLSEndpointAndTLSOnAPlaintextOneAreMismatchesAndPassNothing() throws {
        for (expectingTLS, first) in [(true, [UInt8]([0x80, 0x01, 0x00, 0x01])), (false, [0x16, 0x03, 0x01, 0x02])] {
            let seen = Seen()
            let channel = try sniffing(expectingTLS: expectingTLS, seen)
            try channel.writeInbound(ByteBuffer(bytes: first))
            #expect(seen.mismatched.withLockedValue { $0 } == 1 && seen.matched.withLockedValue { $0 } == 0)
            #expect(try inbound(channel).isEmpty)
            #expect(!channel.isActive, "closed")
        }
    }

    func guarded(_ seen: Seen, timeout: TimeAmount = .seconds(10)) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9443)).wait()
        try channel.pipeline.syncOperations.addHandler(TLSHandshakeGuard(timeout: timeout) { failure in
            seen.reports.withLockedValue { $0.append(failure) }
        })
        return channel
    }

    @Test func aHandshakeNotFinishedIsReportedAndClosedExactlyAtTheDeadline() throws {
        let seen = Seen()
        let channel = try guarded(seen)
        channel.embeddedEventLoop.advanceTime(by: .seconds(10) - .nanoseconds(1))
        #expect(seen.reports.withLockedValue { $0 }.isEmpty && channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .nanoseconds(1))
        #expect(seen.reports.withLockedValue { $0 } == [.timeout(after: .seconds(10))])
        #expect(!channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(60))
        #expect(seen.reports.withLockedValue { $0 }.count == 1, "once")
    }

    @Test func aCompletedHandshakeCancelsTheDeadline() throws {
        let seen = Seen()
        let channel = try guarded(seen)
        channel.pipeline.fireUserInboundEventTriggered(TLSUserEvent.handshakeCompleted(negotiatedProtocol: nil))
        channel.embeddedEventLoop.advanceTime(by: .seconds(60))
        #expect(seen.reports.withLockedValue { $0 }.isEmpty && channel.isActive)
        // After the handshake, a ragged close is not worth a word; other errors pass on.
        channel.pipeline.fireErrorCaught(NIOSSLError.uncleanShutdown)
        #expect(throws: Never.self) { try channel.throwIfErrorCaught() }
        channel.pipeline.fireErrorCaught(ChannelError.connectPending)
        #expect(throws: ChannelError.connectPending) { try channel.throwIfErrorCaught() }
    }

    @Test func aFailedHandshakeIsReportedOnceAndAClientThatLeavesFirstIsNot() throws {
        let seen = Seen()
        let channel = try guarded(seen)
        channel.pipeline.fireErrorCaught(NIOSSLError.handshakeFailed(.sslError([.eofDuringHandshake])))
        channel.pipeline.fireErrorCaught(NIOSSLError.handshakeFailed(.sslError([.eofDuringHandshake])))
        #expect(seen.reports.withLockedValue { $0.map(\.reason) } == [.closed])
        #expect(!channel.isActive)

        let quiet = Seen()
        let probe = try guarded(quiet)
        probe.pipeline.fireChannelInactive()
        probe.embeddedEventLoop.advanceTime(by: .seconds(60))
        #expect(quiet.reports.withLockedValue { $0 }.isEmpty, "a port probe that leaves is no failure")
    }
}
