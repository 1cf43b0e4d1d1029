import ClusterModel
import NIOCore
import NIOSSL
import Testing
@testable import TLSSupport

/// One reading of swift-nio-ssl's errors for every side: the texts are BoringSSL's own, as
/// swift-nio-ssl prints a failed handshake.
struct TLSReasonTests {
    static func boringSSL(_ reason: String) -> String {
        "handshakeFailed(NIOSSL.BoringSSLError.sslError([Error: 268435581 error:1000007d:SSL routines:OPENSSL_internal:\(reason) at /src/ssl/handshake.cc:393]))"
    }

    @Test(arguments: [
        ("CERTIFICATE_VERIFY_FAILED", TLSReason.certificateNotVerified),
        ("PEER_DID_NOT_RETURN_A_CERTIFICATE", .peerSentNoCertificate),
        ("TLSV1_ALERT_CERTIFICATE_REQUIRED", .peerAlert(.certificateRequired)),
        ("SSLV3_ALERT_HANDSHAKE_FAILURE", .peerAlert(.handshakeFailure)),
        ("TLSV1_ALERT_UNKNOWN_CA", .peerAlert(.unknownCA)),
        ("SSLV3_ALERT_BAD_CERTIFICATE", .peerAlert(.badCertificate)),
        ("SSLV3_ALERT_CERTIFICATE_EXPIRED", .peerAlert(.certificateExpired)),
        ("TLSV1_ALERT_ACCESS_DENIED", .peerAlert(.accessDenied)),
        ("TLSV1_ALERT_PROTOCOL_VERSION", .version),
        ("UNSUPPORTED_PROTOCOL", .version),
        ("NO_SHARED_CIPHER", .noSharedCipher),
        ("WRONG_VERSION_NUMBER", .notTLS),
        ("HTTP_REQUEST", .notTLS),
        ("PACKET_LENGTH_TOO_LONG", .notTLS),
        ("DECODE_ERROR", .other(names: ["DECODE_ERROR"])),
    ])
    func eachReasonNameIsReadAsItsCause(name: String, reason: TLSReason) {
        #expect(TLSReason(describing: Self.boringSSL(name)) == reason)
    }

    @Test func errorsThatAreNotTLSAreLeftToTheCaller() {
        #expect(TLSReason(IOError(errnoCode: 104, reason: "read")) == nil)
        #expect(TLSReason(ChannelError.eof) == nil)
    }

    @Test func swiftNIOSSLsOwnErrorsAreReadByType() {
        #expect(TLSReason(NIOSSLExtraError.failedToValidateHostname) == .hostnameMismatch)
        #expect(TLSReason(NIOSSLError.handshakeFailed(.sslError([.eofDuringHandshake]))) == .closedDuringHandshake)
    }

    @Test func alertsAreWordedAsTheyAreQuoted() {
        #expect(TLSReason.Alert.badCertificate.words == "alert bad certificate")
        #expect(TLSReason.words("TLSV13_ALERT_CERTIFICATE_REQUIRED") == "alert certificate required")
        #expect(TLSReason.reasonNames(in: Self.boringSSL("A_B") + Self.boringSSL("C")) == ["A_B", "C"])
    }

    /// What tells an expired or not yet valid certificate from one of an unknown CA, when
    /// BoringSSL says CERTIFICATE_VERIFY_FAILED for all three. Both ends are inclusive (X.509).
    @Test func aCertificatesValidityIsWhereTheMomentFalls() {
        let certificate = PeerCertificate(subject: "CN=a", issuer: "CN=ca", alternativeNames: [], notValidBefore: 100, notValidAfter: 200)
        #expect(certificate.validity(at: 99) == .notYetValid)
        #expect(certificate.validity(at: 100) == .current)
        #expect(certificate.validity(at: 200) == .current)
        #expect(certificate.validity(at: 200.5) == .expired)
    }
}
