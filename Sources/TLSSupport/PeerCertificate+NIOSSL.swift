import ClusterModel
import Foundation
import NIOSSL

extension PeerCertificate {
    /// What an operator needs of a certificate: names, issuer and validity.
    public init(_ certificate: NIOSSLCertificate) {
        self.init(subject: Self.distinguishedName(certificate.subjectName),
                  issuer: Self.distinguishedName(certificate.issuerName),
                  alternativeNames: Self.alternativeNames(of: certificate),
                  notValidBefore: Double(certificate.notValidBefore),
                  notValidAfter: Double(certificate.notValidAfter))
    }

    /// Every alternative name of `certificate` (`DNS:…`, `IP:…`), uncut and uncleaned: what a
    /// name check reads (the certificate's `alternativeNames` keep the first 64, for display).
    public static func alternativeNames(of certificate: NIOSSLCertificate) -> [String] {
        certificate._subjectAlternativeNames().compactMap(alternativeName)
    }

    static func distinguishedName(_ names: [SSLCertificateName]) -> String {
        names.map { "\(label($0.type))=\($0.value)" }.joined(separator: ", ")
    }

    private static func label(_ type: SSLCertificateNameType) -> String {
        switch type {
        case .commonName: "CN"
        case .organization: "O"
        case .organizationalUnit: "OU"
        case .country: "C"
        case .state: "ST"
        case .city: "L"
        case .emailAddress: "emailAddress"
        case .userId: "UID"
        default: "?"
        }
    }

    private static func alternativeName(_ name: _SubjectAlternativeName) -> String? {
        let bytes = Array(name.contents)
        switch name.nameType {
        case .dnsName: return "DNS:" + String(decoding: bytes, as: UTF8.self)
        case .email: return "email:" + String(decoding: bytes, as: UTF8.self)
        case .uri: return "URI:" + String(decoding: bytes, as: UTF8.self)
        case .ipAddress: return "IP:" + ipText(bytes)
        default: return nil
        }
    }

    private static func ipText(_ bytes: [UInt8]) -> String {
        let family: Int32
        switch bytes.count {
        case 4: family = AF_INET
        case 16: family = AF_INET6
        default: return bytes.map { String($0) }.joined(separator: ".")
        }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(family, bytes, &text, socklen_t(text.count)) != nil else { return "?" }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

extension TLSVersion {
    /// `TLS 1.3`, as an operator reads it.
    public var displayName: String {
        switch self {
        case .tlsv1: "TLS 1.0"
        case .tlsv11: "TLS 1.1"
        case .tlsv12: "TLS 1.2"
        case .tlsv13: "TLS 1.3"
        }
    }
}

/// The first bytes of a connection, as a TLS-or-not question (a listener's sniff).
public enum TLSRecordSniff {
    /// A TLS handshake record (a ClientHello or ServerHello): 0x16 0x03 0x00–0x04. As a framed
    /// Thrift length it would be ~369 MB, and unframed Thrift starts 0x80 or 0x82, so it never is
    /// Thrift.
    public static func isTLSHandshake(_ first: UInt8, _ second: UInt8?) -> Bool {
        first == 0x16 && (second == nil || second == 0x03)
    }
}
