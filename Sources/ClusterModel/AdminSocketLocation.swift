import Foundation

/// Where admin sockets live by default, so that `serve` puts them and `attach` finds them in
/// the same place: `$XDG_RUNTIME_DIR/thrifttop/`, else `/tmp/thrifttop-UID/`, one
/// `CLUSTER.sock` per cluster.
public enum AdminSocketLocation {
    public static func directory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let runtime = environment["XDG_RUNTIME_DIR"], !runtime.isEmpty {
            return "\(runtime)/thrifttop"
        }
        return "/tmp/thrifttop-\(getuid())"
    }

    /// The default socket of `cluster` (characters unsafe in a file name become `_`).
    public static func path(cluster: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let safe = String(cluster.map { $0.isLetter || $0.isNumber || "-_.".contains($0) ? $0 : "_" })
        return "\(directory(environment: environment))/\(safe).sock"
    }

    /// The sockets in the default directory, sorted by name.
    public static func sockets(environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        let dir = directory(environment: environment)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.filter { $0.hasSuffix(".sock") }.sorted().map { "\(dir)/\($0)" }
    }
}
