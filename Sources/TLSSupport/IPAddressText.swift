import Foundation

/// Whether a host is an IP literal: swift-nio-ssl refuses one as SNI, and a certificate is then
/// checked against its IP alternative names instead (as AsyncHTTPClient does for a URL's host).
public enum IPAddressText {
    public static func isIPAddress(_ host: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }
}
