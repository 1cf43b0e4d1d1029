import Testing
@testable import DashboardKit

@Suite("Format")
struct FormatTests {
    @Test func millisecondsFitSixColumns() {
        #expect(Format.millis(0.4249) == "0.42ms")
        #expect(Format.millis(12.34) == "12.3ms")
        #expect(Format.millis(123.4) == "123ms")
        #expect(Format.millis(1234) == "1.23s")
        #expect(Format.millis(12_345) == "12s")
        #expect(Format.millis(nil) == "-")
        #expect(Format.millis(.nan) == "-")
    }

    @Test func percentagesRoundDownSoAlmostAllIsNeverShownAsAll() {
        #expect(Format.percent(0.999_999_9, digits: 4) == "99.9999%")
        #expect(Format.percent(1, digits: 2) == "100.00%")
        #expect(Format.percent(0.125) == "12.5%")
        #expect(Format.percent(0) == "0.0%")
        #expect(Format.percent(1.7) == "100.0%")
    }

    @Test func timesAreUTC() {
        #expect(Format.clock(Fixture.wallTime) == "12:34:56")
        #expect(Format.date(Int64(Fixture.wallTime)) == "2026-11-21 12:34")
        #expect(Format.date(0) == "1970-01-01 00:00")
        #expect(Format.date(951_782_400) == "2000-02-29 00:00")
        #expect(Format.duration(42) == "42s")
        #expect(Format.duration(11_520) == "3h 12m")
        #expect(Format.duration(360_000) == "4d 4h")
    }

    @Test func countsAndRatesStayShort() {
        #expect(Format.count(9_999) == "9999")
        #expect(Format.count(12_345) == "12.3k")
        #expect(Format.count(4_500_000) == "4.5M")
        #expect(Format.rate(0) == "0")
        #expect(Format.rate(8.46) == "8.5")
        #expect(Format.rate(1234.5) == "1235")
        #expect(Format.fixed(-0.004, 2) == "0.00")
    }

    @Test func sparklineScalesFromZeroToTheLargestValueNewestRight() {
        #expect(Sparkline.text([0, 1, 2, 4, 8], width: 5) == "▁▂▃▅█")
        #expect(Sparkline.text([1, 1, 1], width: 5) == "  ███")
        #expect(Sparkline.text([], width: 3) == "   ")
        #expect(Sparkline.text([5, 0], width: 1) == "▁")
    }

    @Test func namesSortNaturally() {
        let names = ["node-10", "node-2", "node-1", "node-02b", "alpha"]
        #expect(names.sorted(by: NodeColumn.naturalLess) == ["alpha", "node-1", "node-2", "node-02b", "node-10"])
    }
}
