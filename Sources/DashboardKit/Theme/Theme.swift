/// A colour scheme: a `RoleStyle` for every `ThemeRole`. Parsed from a theme file's text
/// (`Theme(source:file:)`, in CursesTerminal); the shipped themes are also compiled in there
/// (`Theme.builtIn`) so an
/// installed binary never lacks one.
public struct Theme: Sendable, Equatable {
    public var name: String
    public var description: String
    public var styles: [ThemeRole: RoleStyle]

    public init(name: String, description: String = "", styles: [ThemeRole: RoleStyle]) {
        self.name = name
        self.description = description
        self.styles = styles
    }

    /// The style of `role`; a role the theme leaves out looks like `text`.
    public func style(_ role: ThemeRole) -> RoleStyle {
        styles[role] ?? styles[.text] ?? RoleStyle()
    }

    /// The final look of a cell: its role's style, with the cell's own attributes added, and on
    /// the selection bar the `selected` background (and attributes) under the role's foreground.
    /// Plain text on the selection bar takes `selected`'s foreground too, so a theme can pick a
    /// readable pair.
    public func resolve(_ cell: CellStyle) -> RoleStyle {
        var style = self.style(cell.role)
        if cell.highlighted {
            let selected = self.style(.selected)
            style.background = selected.background
            style.background8 = selected.background8
            if cell.role == .text || cell.role == .dim || selected.reverse {
                style.foreground = selected.foreground
                style.foreground8 = selected.foreground8
            }
            style.bold = style.bold || selected.bold
            style.reverse = style.reverse != selected.reverse
            style.underline = style.underline || selected.underline
        }
        style.bold = style.bold || cell.bold
        style.reverse = style.reverse != cell.reverse
        style.underline = style.underline || cell.underline
        return style
    }
}
