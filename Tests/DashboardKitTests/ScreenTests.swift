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
}
