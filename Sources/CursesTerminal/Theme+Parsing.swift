import ConfigFormat
import DashboardKit

extension Theme {
    /// Reads a theme file. The format:
    ///
    /// ```toml
    /// name = "default"
    /// description = "dark background, 256 colours"
    /// [roles]
    /// text   = { fg = 252 }
    /// header = { fg = "bright-white", bg = 24, bg8 = "blue", bold = true }
    /// ```
    ///
    /// Colours are 0…255, a name (`red`, `bright-red`, `grey`), `"#rrggbb"` or `"default"`;
    /// `fg8`/`bg8` choose the 8-colour fallback (otherwise the nearest basic colour is used);
    /// attributes are `bold`, `reverse`, `underline`, `dim`. Every error names the file, the
    /// line and the key, with "did you mean" for misspelt keys.
    public init(source: String, file: String) throws {
        let document = try ConfigDocument(source: source, file: file)
        let root = document.root
        try root.checkKeys(allowed: ["name", "description", "roles"])
        guard let roles = try root.table("roles") else {
            throw root.error("roles", "missing: a theme needs a [roles] table (at least `text`)")
        }
        try roles.checkKeys(allowed: ThemeRole.allCases.map(\.rawValue))
        var styles: [ThemeRole: RoleStyle] = [:]
        for role in ThemeRole.allCases where roles.contains(role.rawValue) {
            styles[role] = try Self.parseRole(role.rawValue, in: roles)
        }
        let fileName = file.split(separator: "/").last.map { String($0) } ?? file
        let stem = fileName.hasSuffix(".toml") ? String(fileName.dropLast(5)) : fileName
        self.init(
            name: try root.string("name") ?? stem,
            description: try root.string("description") ?? "",
            styles: styles
        )
    }

    private static let attributeKeys = ["fg", "bg", "fg8", "bg8", "bold", "reverse", "underline", "dim"]

    private static func parseRole(_ key: String, in roles: ConfigTable) throws -> RoleStyle {
        guard let table = try roles.table(key) else { return RoleStyle() }
        do {
            try table.checkKeys(allowed: attributeKeys)
            return RoleStyle(
                foreground: try color("fg", in: table) ?? .default,
                background: try color("bg", in: table) ?? .default,
                foreground8: try basicColor("fg8", in: table),
                background8: try basicColor("bg8", in: table),
                bold: try table.bool("bold") ?? false,
                reverse: try table.bool("reverse") ?? false,
                underline: try table.bool("underline") ?? false,
                dim: try table.bool("dim") ?? false
            )
        } catch var error as ConfigError where error.line == nil {
            // Roles are inline tables, whose keys the locator cannot place: the role's own line is
            // the right place to point at.
            error.line = roles.error(key, "").line
            throw error
        }
    }

    private static let colorHelp = "must be a colour: 0 to 255, a name like \"red\" or \"bright-blue\", \"#rrggbb\" or \"default\""

    private static func color(_ key: String, in table: ConfigTable) throws -> TerminalColor? {
        guard table.contains(key) else { return nil }
        if let text = try? table.string(key) {
            guard let color = TerminalColor(name: text) else { throw table.error(key, "\(colorHelp) (got \"\(text)\")") }
            return color
        }
        do {
            return try table.int(key, range: 0...255).map(TerminalColor.indexed)
        } catch let error as ConfigError where error.message.hasPrefix("must be a whole") {
            throw table.error(key, colorHelp)
        }
    }

    private static func basicColor(_ key: String, in table: ConfigTable) throws -> TerminalColor? {
        guard let color = try color(key, in: table) else { return nil }
        if case let .indexed(i) = color, i > 7 {
            throw table.error(key, "is the 8-colour fallback, so must be one of the 8 basic colours (black … white) or \"default\"")
        }
        return color
    }
}
