import DashboardKit

/// The shipped themes, compiled in so that an installed binary always has them. Each source is
/// byte for byte the file of the same name in `themes/` (a test holds them equal): edit the file,
/// then paste it here, keeping the blank line before each closing delimiter (the file's last
/// newline).
extension Theme {
    /// Names of the shipped themes, in the order `--theme` lists them.
    public static let builtInNames = ["default", "light", "solarized-dark", "high-contrast", "monochrome"]

    /// The TOML source of a shipped theme.
    public static func builtInSource(_ name: String) -> String? {
        switch name {
        case "default": defaultSource
        case "light": lightSource
        case "solarized-dark": solarizeddarkSource
        case "high-contrast": highcontrastSource
        case "monochrome": monochromeSource
        default: nil
        }
    }

    /// A shipped theme, parsed; nil for an unknown name.
    public static func builtIn(_ name: String) -> Theme? {
        builtInSource(name).flatMap { try? Theme(source: $0, file: "themes/\(name).toml") }
    }

    /// The theme to use: one the operator asked for wins (no-color.org: explicit configuration
    /// beats the environment); otherwise `NO_COLOR` gives monochrome and the rest the default.
    public static func choose(requested: Theme?, noColor: Bool) -> Theme {
        if let requested { return requested }
        return noColor ? .monochrome : .defaultDark
    }

    /// The default dark theme.
    public static let defaultDark: Theme = builtIn("default")!
    /// No colour: what `NO_COLOR` selects.
    public static let monochrome: Theme = builtIn("monochrome")!

    private static let defaultSource = #"""
# thrifttop's default theme: a dark terminal with 256 colours. Every role states its 8-colour
# fallback where the nearest basic colour would be wrong (greys turn black on a black screen).
name = "default"
description = "dark background, 256 colours"

[roles]
text           = { fg = 252, fg8 = "white" }
dim            = { fg = 244, fg8 = "white", dim = true }
border         = { fg = 240, fg8 = "white" }
border_focused = { fg = 39, fg8 = "cyan", bold = true }
title          = { fg = 255, fg8 = "white", bold = true }
header         = { fg = 231, bg = 24, fg8 = "white", bg8 = "blue", bold = true }
column_header  = { fg = 250, bg = 236, fg8 = "black", bg8 = "white", bold = true }
selected       = { fg = 231, bg = 238, fg8 = "white", bg8 = "blue", bold = true }
up             = { fg = 78, fg8 = "green" }
degraded       = { fg = 214, fg8 = "yellow" }
starting       = { fg = 75, fg8 = "cyan" }
draining       = { fg = 141, fg8 = "magenta" }
suspect        = { fg = 221, fg8 = "yellow", bold = true }
down           = { fg = 203, fg8 = "red", bold = true }
unknown        = { fg = 245, fg8 = "white" }
info           = { fg = 250, fg8 = "white" }
notice         = { fg = 117, fg8 = "cyan" }
warning        = { fg = 214, fg8 = "yellow" }
error          = { fg = 203, fg8 = "red", bold = true }
sparkline      = { fg = 75, fg8 = "cyan" }
histogram      = { fg = 110, fg8 = "cyan" }
paused         = { fg = 16, bg = 214, fg8 = "black", bg8 = "yellow", bold = true }
panic          = { fg = 231, bg = 160, fg8 = "white", bg8 = "red", bold = true }
dialog         = { fg = 252, bg = 237, fg8 = "white", bg8 = "black" }
key            = { fg = 81, fg8 = "cyan", bold = true }
input          = { fg = 231, bg = 236, fg8 = "white", bg8 = "black" }

"""#

    private static let lightSource = #"""
# For light terminal backgrounds: dark text, saturated but darker state colours.
name = "light"
description = "light background, 256 colours"

[roles]
text           = { fg = 235, fg8 = "black" }
dim            = { fg = 243, fg8 = "black" }
border         = { fg = 248, fg8 = "black" }
border_focused = { fg = 25, fg8 = "blue", bold = true }
title          = { fg = 16, fg8 = "black", bold = true }
header         = { fg = 231, bg = 25, fg8 = "white", bg8 = "blue", bold = true }
column_header  = { fg = 236, bg = 254, fg8 = "black", bg8 = "white", bold = true }
selected       = { fg = 16, bg = 153, fg8 = "black", bg8 = "cyan" }
up             = { fg = 28, fg8 = "green" }
degraded       = { fg = 130, fg8 = "yellow" }
starting       = { fg = 25, fg8 = "blue" }
draining       = { fg = 91, fg8 = "magenta" }
suspect        = { fg = 136, fg8 = "yellow", bold = true }
down           = { fg = 160, fg8 = "red", bold = true }
unknown        = { fg = 243, fg8 = "black" }
info           = { fg = 238, fg8 = "black" }
notice         = { fg = 25, fg8 = "blue" }
warning        = { fg = 130, fg8 = "yellow" }
error          = { fg = 160, fg8 = "red", bold = true }
sparkline      = { fg = 25, fg8 = "blue" }
histogram      = { fg = 31, fg8 = "cyan" }
paused         = { fg = 231, bg = 130, fg8 = "white", bg8 = "yellow", bold = true }
panic          = { fg = 231, bg = 160, fg8 = "white", bg8 = "red", bold = true }
dialog         = { fg = 235, bg = 255, fg8 = "black", bg8 = "white" }
key            = { fg = 25, fg8 = "blue", bold = true }
input          = { fg = 16, bg = 254, fg8 = "black", bg8 = "white" }

"""#

    private static let solarizeddarkSource = #"""
# Ethan Schoonover's Solarized, dark variant, in the xterm-256 approximations of its 16 colours.
# The background (base03) is painted by `text`, so it shows even on a black terminal.
name = "solarized-dark"
description = "Solarized dark, 256-colour approximation"

[roles]
text           = { fg = 244, bg = 234, fg8 = "white", bg8 = "default" }
dim            = { fg = 240, bg = 234, fg8 = "white", bg8 = "default" }
border         = { fg = 240, bg = 234, fg8 = "white", bg8 = "default" }
border_focused = { fg = 33, bg = 234, fg8 = "blue", bg8 = "default", bold = true }
title          = { fg = 245, bg = 234, fg8 = "white", bg8 = "default", bold = true }
header         = { fg = 230, bg = 235, fg8 = "white", bg8 = "blue", bold = true }
column_header  = { fg = 245, bg = 235, fg8 = "black", bg8 = "white", bold = true }
selected       = { fg = 230, bg = 236, fg8 = "white", bg8 = "blue" }
up             = { fg = 64, bg = 234, fg8 = "green", bg8 = "default" }
degraded       = { fg = 136, bg = 234, fg8 = "yellow", bg8 = "default" }
starting       = { fg = 37, bg = 234, fg8 = "cyan", bg8 = "default" }
draining       = { fg = 61, bg = 234, fg8 = "magenta", bg8 = "default" }
suspect        = { fg = 166, bg = 234, fg8 = "yellow", bg8 = "default", bold = true }
down           = { fg = 160, bg = 234, fg8 = "red", bg8 = "default", bold = true }
unknown        = { fg = 240, bg = 234, fg8 = "white", bg8 = "default" }
info           = { fg = 244, bg = 234, fg8 = "white", bg8 = "default" }
notice         = { fg = 37, bg = 234, fg8 = "cyan", bg8 = "default" }
warning        = { fg = 136, bg = 234, fg8 = "yellow", bg8 = "default" }
error          = { fg = 160, bg = 234, fg8 = "red", bg8 = "default", bold = true }
sparkline      = { fg = 33, bg = 234, fg8 = "blue", bg8 = "default" }
histogram      = { fg = 37, bg = 234, fg8 = "cyan", bg8 = "default" }
paused         = { fg = 234, bg = 136, fg8 = "black", bg8 = "yellow", bold = true }
panic          = { fg = 230, bg = 160, fg8 = "white", bg8 = "red", bold = true }
dialog         = { fg = 245, bg = 235, fg8 = "white", bg8 = "black" }
key            = { fg = 33, bg = 234, fg8 = "blue", bg8 = "default", bold = true }
input          = { fg = 230, bg = 235, fg8 = "white", bg8 = "black" }

"""#

    private static let highcontrastSource = #"""
# Maximum contrast for bright rooms, projectors and tired eyes: pure colours on black, bold
# everywhere a state is shown, the selection in black on yellow.
name = "high-contrast"
description = "bright colours on black, bold states"

[roles]
text           = { fg = 231, bg = 16, fg8 = "white", bg8 = "black" }
dim            = { fg = 250, bg = 16, fg8 = "white", bg8 = "black" }
border         = { fg = 231, bg = 16, fg8 = "white", bg8 = "black" }
border_focused = { fg = 226, bg = 16, fg8 = "yellow", bg8 = "black", bold = true }
title          = { fg = 231, bg = 16, fg8 = "white", bg8 = "black", bold = true }
header         = { fg = 16, bg = 231, fg8 = "black", bg8 = "white", bold = true }
column_header  = { fg = 231, bg = 16, fg8 = "white", bg8 = "black", bold = true, underline = true }
selected       = { fg = 16, bg = 226, fg8 = "black", bg8 = "yellow", bold = true }
up             = { fg = 46, bg = 16, fg8 = "green", bg8 = "black", bold = true }
degraded       = { fg = 226, bg = 16, fg8 = "yellow", bg8 = "black", bold = true }
starting       = { fg = 51, bg = 16, fg8 = "cyan", bg8 = "black", bold = true }
draining       = { fg = 201, bg = 16, fg8 = "magenta", bg8 = "black", bold = true }
suspect        = { fg = 214, bg = 16, fg8 = "yellow", bg8 = "black", bold = true, underline = true }
down           = { fg = 196, bg = 16, fg8 = "red", bg8 = "black", bold = true, underline = true }
unknown        = { fg = 250, bg = 16, fg8 = "white", bg8 = "black" }
info           = { fg = 231, bg = 16, fg8 = "white", bg8 = "black" }
notice         = { fg = 51, bg = 16, fg8 = "cyan", bg8 = "black" }
warning        = { fg = 226, bg = 16, fg8 = "yellow", bg8 = "black", bold = true }
error          = { fg = 196, bg = 16, fg8 = "red", bg8 = "black", bold = true }
sparkline      = { fg = 51, bg = 16, fg8 = "cyan", bg8 = "black" }
histogram      = { fg = 51, bg = 16, fg8 = "cyan", bg8 = "black" }
paused         = { fg = 16, bg = 226, fg8 = "black", bg8 = "yellow", bold = true }
panic          = { fg = 231, bg = 196, fg8 = "white", bg8 = "red", bold = true }
dialog         = { fg = 231, bg = 16, fg8 = "white", bg8 = "black" }
key            = { fg = 226, bg = 16, fg8 = "yellow", bg8 = "black", bold = true }
input          = { fg = 231, bg = 16, fg8 = "white", bg8 = "black", underline = true }

"""#

    private static let monochromeSource = #"""
# No colour at all, for NO_COLOR and terminals without colour: attributes carry what colour
# would (reverse for bars and the selection, bold for trouble, underline for headings), and the
# state glyph and word are on every row anyway.
name = "monochrome"
description = "no colour: bold, reverse, underline and dim only"

[roles]
text           = {}
dim            = { dim = true }
border         = { dim = true }
border_focused = { bold = true }
title          = { bold = true }
header         = { reverse = true, bold = true }
column_header  = { bold = true, underline = true }
selected       = { reverse = true }
up             = {}
degraded       = { bold = true }
starting       = {}
draining       = { underline = true }
suspect        = { bold = true }
down           = { bold = true, reverse = true }
unknown        = { dim = true }
info           = {}
notice         = {}
warning        = { bold = true }
error          = { bold = true, reverse = true }
sparkline      = {}
histogram      = {}
paused         = { reverse = true, bold = true }
panic          = { reverse = true, bold = true }
dialog         = {}
key            = { bold = true }
input          = { underline = true }

"""#

}
