import DashboardKit
import Glibc

/// Finds the theme `--theme NAME|PATH` asks for. A PATH (anything with a "/" or ending in
/// ".toml") is read as it is. A NAME is looked up, first match wins, in:
///
/// 1. `$XDG_CONFIG_HOME/thrifttop/themes/NAME.toml` (`~/.config/…` when unset): the user's own;
/// 2. `PREFIX/share/thrifttop/themes/NAME.toml` for a binary installed as `PREFIX/bin/thrifttop`;
/// 3. `./themes/NAME.toml`: a checkout, as `make demo` runs;
/// 4. the themes compiled into the binary (`Theme.builtInNames`).
///
/// With no request, `NO_COLOR` (set and not empty, see no-color.org) selects monochrome, else the
/// default theme; an explicit `--theme` wins over `NO_COLOR`.
public enum ThemeLocator {
    /// Reads one environment variable; tests pass a dictionary lookup instead of the process's.
    public typealias Environment = @Sendable (String) -> String?

    /// The process environment, read with `getenv`.
    public static let processEnvironment: Environment = { name in getenv(name).map { String(cString: $0) } }

    public static func resolve(_ request: String?, environment: Environment = processEnvironment) throws -> Theme {
        let noColor = !(environment("NO_COLOR") ?? "").isEmpty
        guard let request, !request.isEmpty else { return Theme.choose(requested: nil, noColor: noColor) }
        if request.contains("/") || request.hasSuffix(".toml") {
            return try Theme(source: TextFile.read(request), file: request)
        }
        let directories = searchDirectories(environment: environment)
        for directory in directories {
            let path = "\(directory)/\(request).toml"
            if TextFile.exists(path) { return try Theme(source: TextFile.read(path), file: path) }
        }
        if let source = Theme.builtInSource(request) {
            return try Theme(source: source, file: "(built-in) themes/\(request).toml")
        }
        throw TerminalError.themeNotFound(name: request, searched: directories, available: available(environment: environment))
    }

    /// Where theme names are looked up, in order.
    public static func searchDirectories(environment: Environment = processEnvironment) -> [String] {
        var directories: [String] = []
        if let config = environment("XDG_CONFIG_HOME"), config.hasPrefix("/") {
            directories.append("\(config)/thrifttop/themes")
        } else if let home = environment("HOME"), !home.isEmpty {
            directories.append("\(home)/.config/thrifttop/themes")
        }
        // An installed binary lives in PREFIX/bin; its themes in PREFIX/share/thrifttop/themes.
        if let executable = TextFile.executablePath() {
            let parts = executable.split(separator: "/", omittingEmptySubsequences: false).dropLast()
            if parts.last == "bin" {
                directories.append((parts.dropLast().map(String.init) + ["share", "thrifttop", "themes"]).joined(separator: "/"))
            }
        }
        directories.append("themes")
        return directories
    }

    /// Every theme name one could ask for: the shipped ones and those in the search directories.
    public static func available(environment: Environment = processEnvironment) -> [String] {
        var names = Set(Theme.builtInNames)
        for directory in searchDirectories(environment: environment) {
            for file in TextFile.list(directory) where file.hasSuffix(".toml") {
                names.insert(String(file.dropLast(5)))
            }
        }
        return names.sorted()
    }
}
