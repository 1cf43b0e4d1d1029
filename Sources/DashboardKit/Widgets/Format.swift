/// Number and time formatting for narrow columns: fixed, short, honest ("-" for no data, never
/// a rounded-up 100% for something that is not quite 100%). No Foundation: the UI must not
/// depend on the process locale for decimal points.
public enum Format {
    /// Milliseconds in at most 6 columns: "0.42ms", "12.3ms", "123ms", "1.23s", "-".
    public static func millis(_ value: Double?) -> String {
        guard let v = value, v.isFinite, v >= 0 else { return "-" }
        if v < 10 { return fixed(v, 2) + "ms" }
        if v < 100 { return fixed(v, 1) + "ms" }
        if v < 1000 { return fixed(v, 0) + "ms" }
        if v < 10_000 { return fixed(v / 1000, 2) + "s" }
        return fixed(v / 1000, 0) + "s"
    }

    /// A share 0…1 as a percentage with `digits` decimals, rounded *down* so 99.9996% never shows
    /// as 100.00%.
    public static func percent(_ share: Double, digits: Int = 1) -> String {
        guard share.isFinite else { return "-" }
        let scale = pow10(digits)
        let floored = (max(0, min(1, share)) * 100 * scale + 1e-9).rounded(.down) / scale
        return fixed(floored, digits) + "%"
    }

    /// A count in at most 5 columns: "999", "12.3k", "4.5M".
    public static func count(_ n: Int) -> String {
        let a = abs(n)
        if a < 10_000 { return String(n) }
        if a < 1_000_000 { return fixed(Double(n) / 1000, a < 100_000 ? 1 : 0) + "k" }
        return fixed(Double(n) / 1_000_000, 1) + "M"
    }

    /// A rate per second: "0", "8.5", "1234", "12.3k".
    public static func rate(_ perSecond: Double) -> String {
        guard perSecond.isFinite, perSecond > 0 else { return "0" }
        if perSecond < 100 { return fixed(perSecond, 1) }
        if perSecond < 10_000 { return fixed(perSecond, 0) }
        return fixed(perSecond / 1000, 1) + "k"
    }

    /// How long ago, in one unit: "0s" … "59s", "12m", "3h", "4d" (never negative: a clock
    /// that stepped back reads "0s").
    public static func age(_ seconds: Double) -> String {
        let s = max(0, Int(seconds.isFinite ? seconds : 0))
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m" }
        if s < 86_400 { return "\(s / 3600)h" }
        return "\(s / 86_400)d"
    }

    /// Wall-clock seconds since 1970 as UTC "HH:MM:SS".
    public static func clock(_ seconds: Double) -> String {
        let s = Int((seconds.isFinite ? seconds : 0).rounded(.down))
        let day = ((s % 86_400) + 86_400) % 86_400
        return two(day / 3600) + ":" + two(day / 60 % 60) + ":" + two(day % 60)
    }

    /// Unix seconds as UTC "YYYY-MM-DD HH:MM".
    public static func date(_ unixSeconds: Int64) -> String {
        let days = Int(unixSeconds >= 0 ? unixSeconds / 86_400 : (unixSeconds - 86_399) / 86_400)
        let (y, m, d) = civil(fromDays: days)
        return "\(y)-\(two(m))-\(two(d)) " + String(clock(Double(unixSeconds)).prefix(5))
    }

    /// A duration in the two largest units: "42s", "12m 5s", "3h 12m", "4d 3h".
    public static func duration(_ seconds: Double) -> String {
        let s = max(0, Int(seconds.isFinite ? seconds : 0))
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m \(s % 60)s" }
        if s < 86_400 { return "\(s / 3600)h \(s / 60 % 60)m" }
        return "\(s / 86_400)d \(s / 3600 % 24)h"
    }

    /// `value` with exactly `digits` decimals, without Foundation's locale-dependent formatting.
    public static func fixed(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return "-" }
        let scale = pow10(digits)
        let scaled = Int64((abs(value) * scale).rounded())
        let sign = value < 0 && scaled != 0 ? "-" : ""
        guard digits > 0 else { return sign + String(scaled) }
        let unit = Int64(scale)
        var fraction = String(scaled % unit)
        fraction = String(repeating: "0", count: digits - fraction.count) + fraction
        return sign + String(scaled / unit) + "." + fraction
    }

    private static func pow10(_ n: Int) -> Double {
        (0..<max(0, n)).reduce(1.0) { r, _ in r * 10 }
    }

    private static func two(_ n: Int) -> String { n < 10 ? "0\(n)" : String(n) }

    /// Howard Hinnant's days-from-civil inverse: proleptic Gregorian date of a day count.
    private static func civil(fromDays z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}
