import Foundation

/// Reads a file that holds a secret (admin tokens, the etcd password) by one rule, as ssh does
/// with a private key: a file others can read is refused, not used, with the chmod that mends it.
public enum SecretFile {
    /// Why a secret file cannot be used, naming it (`what` says which: "token file", "[state]
    /// password_file").
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public static func read(_ path: String, what: String) throws -> String {
        var info = stat()
        if stat(path, &info) == 0, info.st_mode & 0o077 != 0 {
            throw Failure(description: "\(what) \(path) can be read by others (mode \(String(info.st_mode & 0o777, radix: 8))): chmod 600 \(path)")
        }
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw Failure(description: "cannot read \(what) \(path): \(error.localizedDescription)")
        }
    }
}
