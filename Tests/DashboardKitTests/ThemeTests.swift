import ConfigFormat
import CursesTerminal
import Testing
@testable import DashboardKit

@Suite("Themes")
struct ThemeTests {
    /// The repository's `themes/` directory, found from this file.
    static let themesDirectory: String = {
        let parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        return (parts.dropLast(3).map(String.init) + ["themes"]).joined(separator: "/")
    }()

    static func shippedSource(_ name: String) -> String? {
        guard let file = fopen("\(themesDirectory)/\(name).toml", "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&buffer, 1, buffer.count, file)
            bytes += buffer[0..<n]
            if n < buffer.count { break }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test(arguments: Theme.builtInNames)
    func everyShippedThemeParsesAndStylesEveryRole(name: String) throws {
        let source = try #require(Self.shippedSource(name), "themes/\(name).toml is missing")
        let theme = try Theme(source: source, file: "themes/\(name).toml")
        #expect(theme.name == name)
        #expect(!theme.description.isEmpty)
        let missing = ThemeRole.allCases.filter { theme.styles[$0] == nil }
        #expect(missing.isEmpty, "\(name) leaves out \(missing)")
    }

    @Test(arguments: Theme.builtInNames)
    func compiledInThemesMatchTheShippedFiles(name: String) {
        #expect(Self.shippedSource(name) == Theme.builtInSource(name), "paste themes/\(name).toml into BuiltInThemes.swift")
    }

    @Test func anUnknownRoleIsNamedWithFileLineAndASuggestion() {
        let source = "name = \"bad\"\n[roles]\ntext = {}\nwarnign = { fg = 1 }\n"
        #expect(throws: ConfigError(file: "themes/bad.toml", line: 4, key: "roles.warnign", message: "unknown key (did you mean \"warning\"?)")) {
            try Theme(source: source, file: "themes/bad.toml")
        }
    }

    @Test func aBadColourInsideARoleNamesTheRoleLineAndKey() throws {
        let source = "[roles]\ntext = {}\nheader = { fg = \"blurple\" }\n"
        let error = try #require(throws: ConfigError.self) { try Theme(source: source, file: "mine.toml") }
        #expect(error.file == "mine.toml")
        #expect(error.line == 3)
        #expect(error.key == "roles.header.fg")
        #expect(error.description.hasPrefix("mine.toml:3: roles.header.fg: must be a colour"))
    }

    @Test func aMisspeltAttributeAndAnOutOfRangeIndexAreNamed() throws {
        let bolt = try #require(throws: ConfigError.self) { try Theme(source: "[roles]\ndown = { bolt = true }\n", file: "t.toml") }
        #expect(bolt.description == "t.toml:2: roles.down.bolt: unknown key (did you mean \"bold\"?)")
        let big = try #require(throws: ConfigError.self) { try Theme(source: "[roles]\nup = { fg = 300 }\n", file: "t.toml") }
        #expect(big.description == "t.toml:2: roles.up.fg: must be from 0 to 255 (got 300)")
        let fallback = try #require(throws: ConfigError.self) { try Theme(source: "[roles]\nup = { fg8 = 9 }\n", file: "t.toml") }
        #expect(fallback.key == "roles.up.fg8")
    }

    @Test func tomlSyntaxErrorsNameTheFileAndLine() throws {
        let error = try #require(throws: ConfigError.self) { try Theme(source: "[roles]\ntext = { fg = \n", file: "t.toml") }
        #expect(error.file == "t.toml")
        #expect(error.line != nil)
    }

    @Test func colourNamesHexAndIndexesParse() {
        #expect(TerminalColor(name: "bright-red") == .indexed(9))
        #expect(TerminalColor(name: "default") == .default)
        #expect(TerminalColor(name: "#ff8700") == .indexed(208))
        #expect(TerminalColor(name: "42") == .indexed(42))
        #expect(TerminalColor(name: "chartreuse") == nil)
    }

    @Test func noColorSelectsMonochromeUnlessAThemeWasAskedFor() {
        #expect(Theme.choose(requested: nil, noColor: true) == .monochrome)
        #expect(Theme.choose(requested: nil, noColor: false) == .defaultDark)
        let light = Theme.builtIn("light")!
        #expect(Theme.choose(requested: light, noColor: true) == light)
        // Monochrome really has no colour: every role resolves to the terminal's own colours.
        for role in ThemeRole.allCases {
            let colors = Theme.monochrome.style(role).colors(colorCount: 256)
            #expect(colors.foreground == .default && colors.background == .default)
        }
    }

    @Test func colours256FallBackToTheThemesChoiceOrTheNearestBasicColour() {
        // Explicit fallback wins.
        #expect(TerminalColor.indexed(24).resolved(colorCount: 8, fallback: .indexed(4)) == .indexed(4))
        #expect(TerminalColor.indexed(234).resolved(colorCount: 8, fallback: .default) == .default)
        // Nearest basic colour otherwise: orange 214 → yellow, deep red 160 → red, grey 250 → white.
        #expect(TerminalColor.indexed(214).resolved(colorCount: 8) == .indexed(3))
        #expect(TerminalColor.indexed(160).resolved(colorCount: 8) == .indexed(1))
        #expect(TerminalColor.indexed(250).resolved(colorCount: 8) == .indexed(7))
        // Bright colours: kept on 16-colour terminals, dimmed to their base on 8.
        #expect(TerminalColor.indexed(9).resolved(colorCount: 16) == .indexed(9))
        #expect(TerminalColor.indexed(9).resolved(colorCount: 8) == .indexed(1))
        // 256-colour terminals keep everything; no colour at all below 8.
        #expect(TerminalColor.indexed(214).resolved(colorCount: 256) == .indexed(214))
        #expect(TerminalColor.indexed(1).resolved(colorCount: 2) == .default)
    }

    @Test func everyShippedThemeKeepsStatesApartOnAn8ColourTerminal() {
        // Colour is never the only signal, but on colour terminals the states should still differ.
        for name in Theme.builtInNames where name != "monochrome" {
            let theme = Theme.builtIn(name)!
            let colors = [ThemeRole.up, .degraded, .down].map { theme.style($0).colors(colorCount: 8).foreground }
            #expect(Set(colors).count == 3, "\(name): \(colors)")
        }
    }

    @Test func theSelectionBarKeepsTheRoleColourOnTheSelectedBackground() {
        let theme = Theme.defaultDark
        let down = theme.resolve(CellStyle(.down, highlighted: true))
        #expect(down.foreground == theme.style(.down).foreground)
        #expect(down.background == theme.style(.selected).background)
        let text = theme.resolve(CellStyle(.text, highlighted: true))
        #expect(text.foreground == theme.style(.selected).foreground)
        // Monochrome marks the bar with reverse video.
        #expect(Theme.monochrome.resolve(CellStyle(.text, highlighted: true)).reverse)
    }
}

#if canImport(Glibc)
import Glibc
#endif
