/// Bytes as an operator reads them in an error: `80 01 00 01`, two lowercase digits each.
public enum HexBytes {
    public static func text(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef")
        return bytes.map { String([digits[Int($0 >> 4)], digits[Int($0 & 0xF)]]) }.joined(separator: " ")
    }
}
