import ArgumentParser
import CursesTerminal

/// How the dashboard looks and takes input, for every command that opens it (the dashboard,
/// `attach`, `replay`).
struct ScreenOptions: ParsableArguments {
    @Option(help: "Theme: a name (default, light, solarized-dark, high-contrast, monochrome) or a .toml path.")
    var theme: String?

    @Flag(help: "Do not use the mouse.")
    var noMouse = false

    /// The loop's options, with the theme found and read (a missing or bad one throws
    /// `TerminalError`, naming it).
    func dashboard(readOnly: Bool, bell: Bool = false, statsFile: String? = nil) throws -> DashboardOptions {
        DashboardOptions(theme: try ThemeLocator.resolve(theme), mouse: !noMouse, readOnly: readOnly, reraiseSignals: false,
                         statsFile: statsFile, bell: bell)
    }
}
