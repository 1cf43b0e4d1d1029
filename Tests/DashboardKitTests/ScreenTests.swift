import Testing
@testable import DashboardKit

@Suite("Screen")
struct ScreenTests {
    @Test func textIsClippedAtItsWidthAndTheScreenEdge() {
        var screen = Screen(width: 8, height: 2)
        screen.put("abcdefghij", x: 2, y: 0, maxWidth: 4)
        screen.put("0123456789", x: 5, y: 1)
        #expect(screen.rows == ["  abcd  ", "     012"])
    }

    @Test func aWideCharacterTakesTwoCells() {
        var screen = Screen(width: 6, height: 1)
        #expect(screen.put("宽a", x: 0, y: 0) == 3)
        #expect(screen[0, 0].text == "宽")
        #expect(screen[1, 0].isContinuation)
        #expect(screen[2, 0].text == "a")
        #expect(screen.rows == ["宽a   "])
    }

    @Test func aWideCharacterThatDoesNotFitBecomesABlankNotHalfACharacter() {
        var screen = Screen(width: 4, height: 1, fill: Cell("x"))
        screen.put("ab宽", x: 1, y: 0)
        #expect(screen.rows == ["xab "])
        var clipped = Screen(width: 6, height: 1, fill: Cell("x"))
        clipped.put("a宽b", x: 0, y: 0, maxWidth: 2)
        #expect(clipped.rows == ["a xxxx"])
    }

    @Test func overwritingEitherHalfOfAWideCharacterBlanksTheOtherHalf() {
        var screen = Screen(width: 4, height: 1)
        screen.put("宽宽", x: 0, y: 0)
        screen.put("r", x: 1, y: 0)  // the right half of the first
        #expect(screen.rows == [" r宽"])
        screen.put("l", x: 2, y: 0)  // the left half of the second
        #expect(screen.rows == [" rl "])
        #expect(!screen[3, 0].isContinuation)
    }

    @Test func controlCharactersNeverReachTheScreen() {
        var screen = Screen(width: 8, height: 1)
        screen.put("a\u{1B}[2Jb\n", x: 0, y: 0)
        #expect(screen.rows == ["a�[2Jb� "])
    }

    @Test func combiningMarksStayWithTheirLetter() {
        var screen = Screen(width: 4, height: 1)
        #expect(screen.put("e\u{301}x", x: 0, y: 0) == 2)
        #expect(screen[0, 0].text == "e\u{301}")
        #expect(DisplayWidth.of("e\u{301}") == 1)
    }

    @Test func stateGlyphsAndBlocksAreOneColumnAndCJKAndEmojiTwo() {
        for glyph in ["●", "◐", "◔", "◌", "◍", "✖", "▁", "█", "─", "│", "┌"] {
            #expect(DisplayWidth.of(glyph) == 1, "\(glyph)")
        }
        for wide in ["宽", "한", "ア", "😀", "🚀"] {
            #expect(DisplayWidth.of(wide) == 2, "\(wide)")
        }
    }

    @Test func widgetsNeverWriteOutsideTheirArea() {
        // ratatui's habit: pre-fill with a marker, render, and see which cells were touched.
        var screen = Screen(width: 30, height: 5, fill: Cell("x"))
        let table = NodeTableWidget(rows: Fixture.nodes, allNodes: Fixture.nodes, state: DashboardState(width: 30, height: 5), visibleRows: 2, now: Fixture.wallTime)
        table.render(title: Rect(x: 2, y: 1, width: 26, height: 1), headings: Rect(x: 2, y: 2, width: 26, height: 1),
                     body: Rect(x: 2, y: 3, width: 26, height: 1), into: &screen)
        #expect(screen.rows[0] == String(repeating: "x", count: 30))
        #expect(screen.rows[4] == String(repeating: "x", count: 30))
        for row in screen.rows[1...3] {
            #expect(row.hasPrefix("xx") && row.hasSuffix("xx"), "\(row)")
        }
    }
}
