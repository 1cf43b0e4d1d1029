import Glibc

/// Times in the JSON form: RFC 3339 in UTC with milliseconds (`2026-12-01T21:04:05.123Z`), made
/// and read by hand because `ISO8601DateFormatter` costs an allocation-heavy object per use and
/// the snapshot stream writes thousands of these a second.
public enum RFC3339 {
    /// The times this form can write: years 0001 to 9999.
    public static let representable: ClosedRange<Double> = -62_135_596_800 ... 253_402_300_799.999

    /// The time of day alone, "HH:MM:SS" (UTC), as a status line says it.
    public static func clock(fromUnixSeconds seconds: Double) -> String {
        String(string(fromUnixSeconds: seconds).dropFirst(11).prefix(8))
    }

    /// `seconds` since 1970 as `YYYY-MM-DDTHH:MM:SS.mmmZ`, to the nearest millisecond; a time
    /// outside `representable` (or not a number) is written as the nearest end of it.
    public static func string(fromUnixSeconds seconds: Double) -> String {
        var bytes: [UInt8] = []
        append(unixSeconds: seconds, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `string(fromUnixSeconds:)`'s text appended to `bytes`, with no String made on the way:
    /// the snapshot's JSON writer puts thousands of times a second into its buffer.
    static func append(unixSeconds seconds: Double, to bytes: inout [UInt8]) {
        let clamped = seconds.isNaN ? 0 : Swift.min(Swift.max(seconds, representable.lowerBound), representable.upperBound)
        var millis = Int64((clamped * 1000).rounded(.toNearestOrAwayFromZero))
        var whole = time_t(millis >= 0 ? millis / 1000 : (millis - 999) / 1000)
        millis -= Int64(whole) * 1000
        var parts = tm()
        gmtime_r(&whole, &parts)
        // Every field is non-negative and fits its width (years 0001 to 9999).
        func digits(_ value: Int32, _ width: Int, then separator: UInt8) {
            var rest = Int(value)
            var index = bytes.count + width
            bytes.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: width))
            while rest > 0 {
                index -= 1
                bytes[index] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            }
            bytes.append(separator)
        }
        digits(parts.tm_year + 1900, 4, then: UInt8(ascii: "-"))
        digits(parts.tm_mon + 1, 2, then: UInt8(ascii: "-"))
        digits(parts.tm_mday, 2, then: UInt8(ascii: "T"))
        digits(parts.tm_hour, 2, then: UInt8(ascii: ":"))
        digits(parts.tm_min, 2, then: UInt8(ascii: ":"))
        digits(parts.tm_sec, 2, then: UInt8(ascii: "."))
        digits(Int32(millis), 3, then: UInt8(ascii: "Z"))
    }

    /// Reads `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` (either `T` or a space, `z` too); nil
    /// for anything else.
    public static func unixSeconds(from text: String) -> Double? {
        let b = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= b.count, !range.isEmpty else { return nil }
            var value = 0
            for i in range {
                guard (48...57).contains(b[i]) else { return nil }
                value = value * 10 + Int(b[i] - 48)
            }
            return value
        }
        guard b.count >= 20, b[4] == 45, b[7] == 45, [84, 116, 32].contains(b[10]), b[13] == 58, b[16] == 58,
              let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second <= 60 else { return nil }
        var i = 19
        var fraction = 0.0
        if b[i] == 46 {
            var scale = 0.1
            i += 1
            let start = i
            while i < b.count, (48...57).contains(b[i]) {
                fraction += Double(b[i] - 48) * scale
                scale /= 10
                i += 1
            }
            guard i > start else { return nil }
        }
        guard i < b.count else { return nil }
        var offset = 0
        switch b[i] {
        case 90, 122:
            guard i + 1 == b.count else { return nil }
        case 43, 45:
            guard i + 6 == b.count, b[i + 3] == 58, let h = number(i + 1..<i + 3), let m = number(i + 4..<i + 6) else { return nil }
            offset = (h * 3600 + m * 60) * (b[i] == 43 ? 1 : -1)
        default:
            return nil
        }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        return Double(timegm(&parts) - offset) + fraction
    }
}
