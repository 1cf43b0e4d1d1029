/// Pieces of the file names thrifttop writes (recordings, alert snapshots): safe in any
/// directory and sorting in time order.
public enum FileName {
    /// `text` with anything but letters, digits, `-` and `_` made `_`, at most `limit` long.
    public static func part(_ text: String, limit: Int = 60) -> String {
        String(text.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" }.prefix(limit))
    }

    /// `20261207T140320Z`: a UTC time to the second, sorting as it reads.
    public static func stamp(_ unixSeconds: Double) -> String {
        RFC3339.string(fromUnixSeconds: unixSeconds).filter { $0.isNumber || $0 == "T" }.prefix(15) + "Z"
    }
}
