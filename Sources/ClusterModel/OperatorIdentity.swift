import Foundation

/// How an operator is named everywhere an action is attributed (events, the audit log, the
/// shared state, undo): `alice (uid 1000) on HOST` for a local user — at the dashboard, over the
/// admin socket, for a SIGHUP — and the token's name over TCP. One form, so that one operator's
/// actions are one operator's, whichever way they came.
public enum OperatorIdentity {
    /// The local user with this uid on `host`: "alice (uid 1000) on vm"; "uid 1000 on vm" when
    /// the uid has no login name.
    public static func local(uid: UInt32, host: String) -> String {
        var login: String?
        if let entry = getpwuid(uid), let name = entry.pointee.pw_name { login = String(cString: name) }
        return (login.map { "\($0) (uid \(uid))" } ?? "uid \(uid)") + " on \(host)"
    }

    /// Who did something on `instance`, as events say it: "alice (uid 1000) on vm" when the
    /// identity already names that host, else "bob on serve-a".
    public static func acting(_ user: String, on instance: String) -> String {
        user.hasSuffix(" on \(instance)") ? user : "\(user) on \(instance)"
    }

    /// The response header by which the admin endpoint tells a client who it acts as.
    public static let header = "Thrifttop-Operator"
}
