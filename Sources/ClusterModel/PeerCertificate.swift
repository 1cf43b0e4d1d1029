/// The certificate a TLS peer showed, as an operator reads it: who it names, who signed it and
/// when it stops being valid. Its text came from the network and is cleaned when it is made.
public struct PeerCertificate: Sendable, Equatable {
    /// `CN=localhost, O=…`, the most specific part first as OpenSSL prints it.
    public var subject: String
    public var issuer: String
    /// `DNS:localhost`, `IP:127.0.0.1`, `email:…`, `URI:…`, in the certificate's order.
    public var alternativeNames: [String]
    /// Unix seconds.
    public var notValidBefore: Double
    public var notValidAfter: Double

    public init(subject: String, issuer: String, alternativeNames: [String], notValidBefore: Double, notValidAfter: Double) {
        self.subject = TextSanitizer.clean(subject)
        self.issuer = TextSanitizer.clean(issuer)
        self.alternativeNames = alternativeNames.prefix(64).map { TextSanitizer.clean($0, maximumLength: 256) }
        self.notValidBefore = notValidBefore
        self.notValidAfter = notValidAfter
    }

    /// Where a moment falls in the certificate's validity: what tells an expired or not yet
    /// valid certificate from one of an unknown CA when a verification failed.
    public enum Validity: Sendable, Equatable {
        case expired, notYetValid, current
    }

    public func validity(at now: Double) -> Validity {
        if now > notValidAfter { return .expired }
        if now < notValidBefore { return .notYetValid }
        return .current
    }

    /// Whole days until it expires (negative once it has), rounded down as `openssl` users count.
    public func daysLeft(at now: Double) -> Int {
        let days = ((notValidAfter - now) / 86_400).rounded(.down)
        return Int(max(-1_000_000, min(1_000_000, days)))
    }
}

/// A node's TLS as the pool last saw it: the version and certificate of its last handshake, and
/// how it is configured to treat them.
public struct NodeTLS: Sendable, Equatable {
    /// `TLS 1.3`; nil until a handshake completed.
    public var version: String?
    public var certificate: PeerCertificate?
    /// `tls_insecure_skip_verify`: the certificate is shown but not checked.
    public var insecureSkipVerify: Bool
    /// `tls_cert_warn_days`: a certificate expiring sooner is marked.
    public var certWarnDays: Int

    public init(version: String? = nil, certificate: PeerCertificate? = nil, insecureSkipVerify: Bool = false, certWarnDays: Int = 14) {
        self.version = version
        self.certificate = certificate
        self.insecureSkipVerify = insecureSkipVerify
        self.certWarnDays = certWarnDays
    }

    /// Whether its certificate expires within `certWarnDays` of `now` (or has expired).
    public func certificateExpiresSoon(at now: Double) -> Bool {
        guard let certificate else { return false }
        return certificate.notValidAfter - now < Double(certWarnDays) * 86_400
    }
}

extension PeerCertificate: Codable {
    enum CodingKeys: String, CodingKey {
        case subject, issuer, alternativeNames = "sans", notValidBefore = "not_before", notValidAfter = "not_after"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(subject: try c.decode(String.self, forKey: .subject), issuer: try c.decode(String.self, forKey: .issuer),
                  alternativeNames: try c.decodeIfPresent([String].self, forKey: .alternativeNames) ?? [],
                  notValidBefore: try c.decodeTime(forKey: .notValidBefore), notValidAfter: try c.decodeTime(forKey: .notValidAfter))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(subject, forKey: .subject)
        try c.encode(issuer, forKey: .issuer)
        try c.encode(alternativeNames, forKey: .alternativeNames)
        try c.encodeTime(notValidBefore, forKey: .notValidBefore)
        try c.encodeTime(notValidAfter, forKey: .notValidAfter)
    }
}

extension NodeTLS: Codable {
    enum CodingKeys: String, CodingKey {
        case version, certificate, insecureSkipVerify = "insecure_skip_verify", certWarnDays = "cert_warn_days"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(version: try c.decodeIfPresent(String.self, forKey: .version),
                  certificate: try c.decodeIfPresent(PeerCertificate.self, forKey: .certificate),
                  insecureSkipVerify: try c.decodeIfPresent(Bool.self, forKey: .insecureSkipVerify) ?? false,
                  certWarnDays: try c.decodeIfPresent(Int.self, forKey: .certWarnDays) ?? 14)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(version, forKey: .version)
        try c.encodeIfPresent(certificate, forKey: .certificate)
        try c.encode(insecureSkipVerify, forKey: .insecureSkipVerify)
        try c.encode(certWarnDays, forKey: .certWarnDays)
    }
}
