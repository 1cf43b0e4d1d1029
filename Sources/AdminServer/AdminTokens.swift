import ClusterModel
import Foundation

/// A bearer token from a token file, and the operator it names.
struct AdminToken: Sendable {
    var name: String
    var secret: [UInt8]
    var readOnly: Bool
}

/// Who is asking: a local user on the Unix socket (by the peer's uid), or a token's operator.
struct AdminCaller: Sendable {
    var name: String
    var mayAct: Bool
}

/// Token files: one token per line, optionally `NAME:TOKEN` so each operator is named in the
/// audit log; blank lines and `#` comments are skipped.
public enum AdminTokens {
    /// A token file that cannot be used, and why (its path, line and the rule it breaks).
    public struct FileError: Error, CustomStringConvertible {
        public var description: String
    }

    /// The first token of a token file, as a client presents it (`TOKEN` of `NAME:TOKEN`), read
    /// by the same rules as the server's (`thrifttop attach --token-file`).
    public static func firstSecret(_ path: String) throws -> String {
        String(decoding: try load(path, readOnly: false)[0].secret, as: UTF8.self)
    }

    static func load(_ path: String, readOnly: Bool) throws -> [AdminToken] {
        let text: String
        do {
            text = try SecretFile.read(path, what: "token file")
        } catch let failure as SecretFile.Failure {
            throw FileError(description: failure.description)
        }
        var tokens: [AdminToken] = []
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let parts = line.split(separator: ":", maxSplits: 1).map(String.init)
            let (name, secret) = parts.count == 2 ? (parts[0], parts[1]) : ("token on line \(number + 1) of \((path as NSString).lastPathComponent)", parts[0])
            guard secret.utf8.count >= 16 else {
                throw FileError(description: "\(path):\(number + 1): a token must be at least 16 characters")
            }
            tokens.append(AdminToken(name: name, secret: Array(secret.utf8), readOnly: readOnly))
        }
        guard !tokens.isEmpty else { throw FileError(description: "token file \(path) has no token") }
        return tokens
    }

    /// The token `presented` is, compared in constant time against every token (no early exit
    /// that would tell an attacker how much of a guess was right).
    static func match(_ presented: [UInt8], in tokens: [AdminToken]) -> AdminToken? {
        var found: AdminToken?
        for token in tokens {
            var difference = UInt8(token.secret.count == presented.count ? 0 : 1)
            for i in 0..<token.secret.count {
                difference |= token.secret[i] ^ (i < presented.count ? presented[i] : 0)
            }
            if difference == 0 { found = token }
        }
        return found
    }
}
