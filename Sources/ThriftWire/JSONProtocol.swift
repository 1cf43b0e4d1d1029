import Glibc

/// What Apache Thrift's TJSONProtocol puts on the wire, shared by `JSONProtocolReader` and
/// `JSONProtocolWriter`. Byte for byte what Python's `thrift.protocol.TJSONProtocol` (0.17)
/// writes, except where Python writes something no reader accepts (see `JSONProtocolWriter`).
///
///     message   [1,"getStatus",2,7,{"0":{"i32":2}}]
///                │  name      type seqid └ body: the result struct
///     struct    {"1":{"i32":5},"2":{"str":"x"}}     field id (quoted) → {type name: value}
///     list/set  ["i32",3,1,2,3]                     element type, count, elements
///     map       ["str","i32",2,{"a":1,"b":2}]       key type, value type, count, {key: value}
///
/// Map keys sit in a JSON object's key position, where numbers (and bools, 1/0) are quoted;
/// struct and container keys are written as they are (`{{"1":{"i32":3}}:…}`), which is not JSON
/// but is what every Apache implementation writes. String and binary share the type name "str":
/// a string is JSON text, a binary is base64, and only the schema says which.
enum JSONProtocol {
    static let version: Int64 = 1

    /// The longest number token accepted. No Apache writer comes close: the longest they produce
    /// is 24 characters (`-2.2250738585072014e-308`).
    static let maxNumberLength = 64

    static func typeName(_ type: TType) -> String {
        switch type {
        case .bool: "tf"
        case .byte: "i8"
        case .i16: "i16"
        case .i32: "i32"
        case .i64: "i64"
        case .double: "dbl"
        case .string: "str"
        case .struct: "rec"
        case .map: "map"
        case .list: "lst"
        case .set: "set"
        // Python 0.17 has no uuid type at all; Apache Thrift 0.19+ (Java) writes "uid".
        case .uuid: "uid"
        case .stop, .void: preconditionFailure("\(type) has no TJSONProtocol type name")
        }
    }

    static func type(named name: [UInt8]) -> TType? {
        switch String(decoding: name, as: UTF8.self) {
        case "tf": .bool
        case "i8": .byte
        case "i16": .i16
        case "i32": .i32
        case "i64": .i64
        case "dbl": .double
        case "str": .string
        case "rec": .struct
        case "map": .map
        case "lst": .list
        case "set": .set
        case "uid": .uuid
        default: nil
        }
    }

    /// The fewest bytes a value of `type` takes, to bound container counts before allocating.
    static func minimumSize(_ type: TType, asKey: Bool = false) -> Int {
        switch type {
        case .bool, .byte, .i16, .i32, .i64, .double: asKey ? 3 : 1  // 0, or "0" as a key
        case .string, .struct: 2                                       // "" or {}
        case .list, .set: 8                                            // ["tf",0]
        case .map: 16                                                  // ["tf","tf",0,{}]
        case .uuid: 38                                                 // 36 characters, quoted
        case .stop, .void: 1
        }
    }

    // MARK: doubles

    /// A finite double as Python's `'{0:.17g}'.format(value)`: 17 significant digits, so it reads
    /// back to the same bits (`0.1` is `0.10000000000000001`, `-0.0` is `-0`, `1e22` is `1e+22`).
    static func formatDouble(_ value: Double) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 40)
        let count = out.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { chars in
                withVaList([value]) { vsnprintf(chars, 40, "%.17g", $0) }
            }
        }
        // printf's decimal point follows LC_NUMERIC, which the dashboard sets from the
        // environment: any byte that is not part of a C-locale number is the decimal point.
        var result: [UInt8] = []
        var inSeparator = false
        for byte in out.prefix(Int(max(0, min(count, 39)))) {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "e"):
                result.append(byte)
                inSeparator = false
            default:
                if !inSeparator { result.append(UInt8(ascii: ".")) }
                inSeparator = true
            }
        }
        return result
    }

    /// A double from a number token or quoted text: the spec's `NaN`, `Infinity`, `-Infinity`, and
    /// Python's `nan`, `inf`, `-inf` in any case; otherwise a decimal number.
    static func parseDouble(_ token: [UInt8]) -> Double? {
        let text = String(decoding: token, as: UTF8.self)
        var unsigned = Substring(text)
        var negative = false
        if let sign = unsigned.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            unsigned = unsigned.dropFirst()
        }
        switch unsigned.lowercased() {
        case "nan": return .nan
        case "inf", "infinity": return negative ? -.infinity : .infinity
        default: break
        }
        // Digits, one optional point, an optional exponent: what Double(_:) accepts, minus the hex
        // forms and words it also takes.
        guard token.contains(where: { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              token.allSatisfy({ isNumeric($0) }) else { return nil }
        return Double(text)
    }

    /// The characters Apache's readers collect as a number: `+-.0123456789Ee`.
    static func isNumeric(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
             UInt8(ascii: "e"), UInt8(ascii: "E"): true
        default: false
        }
    }

    // MARK: base64

    static let base64Alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Standard base64 with `=` padding, as Python's `base64.b64encode` writes it.
    static func base64Encode(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var iterator = bytes.makeIterator()
        while let b0 = iterator.next() {
            let b1 = iterator.next(), b2 = iterator.next()
            let n = UInt32(b0) << 16 | UInt32(b1 ?? 0) << 8 | UInt32(b2 ?? 0)
            out.append(base64Alphabet[Int(n >> 18 & 0x3F)])
            out.append(base64Alphabet[Int(n >> 12 & 0x3F)])
            out.append(b1 == nil ? UInt8(ascii: "=") : base64Alphabet[Int(n >> 6 & 0x3F)])
            out.append(b2 == nil ? UInt8(ascii: "=") : base64Alphabet[Int(n & 0x3F)])
        }
        return out
    }

    /// Decodes base64 with or without its `=` padding (C++ and Java write none). Nil for any
    /// character outside the standard alphabet or a length no encoder produces.
    static func base64Decode(_ text: [UInt8]) -> [UInt8]? {
        var length = text.count
        // Up to two padding characters, complete or not, as Java's reader strips them.
        var padding = 0
        while padding < 2, length > 0, text[length - 1] == UInt8(ascii: "=") {
            length -= 1
            padding += 1
        }
        if length % 4 == 1 { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(length / 4 * 3 + 2)
        var accumulator: UInt32 = 0
        var bits = 0
        for byte in text[0..<length] {
            guard let value = base64Value(byte) else { return nil }
            accumulator = accumulator << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        return out
    }

    static func base64Value(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): byte - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): byte - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"): 62
        case UInt8(ascii: "/"): 63
        default: nil
        }
    }

    // MARK: uuid

    /// `00112233-4455-6677-8899-aabbccddeeff`, lowercase, as Java's `UUID.toString()`.
    static func uuidText(_ bytes: [UInt8]) -> [UInt8] {
        let hex = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(36)
        for (index, byte) in bytes.enumerated() {
            if index == 4 || index == 6 || index == 8 || index == 10 { out.append(UInt8(ascii: "-")) }
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 0x0F)])
        }
        return out
    }

    /// The 16 bytes of a canonical 8-4-4-4-12 hex uuid, either case; nil for anything else.
    static func uuidBytes(_ text: [UInt8]) -> [UInt8]? {
        guard text.count == 36 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(16)
        var high: UInt8?
        for (index, byte) in text.enumerated() {
            if index == 8 || index == 13 || index == 18 || index == 23 {
                guard byte == UInt8(ascii: "-") else { return nil }
                continue
            }
            guard let nibble = hexValue(byte) else { return nil }
            if let h = high {
                out.append(h << 4 | nibble)
                high = nil
            } else {
                high = nibble
            }
        }
        return out
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// The separator state of the JSON arrays and objects open around the next value, kept exactly
/// as Apache's `JSONListContext` / `JSONPairContext`: a comma before every array element but the
/// first; in an object, a colon before each value and a comma before each key but the first.
struct JSONContexts {
    enum Context {
        case list(first: Bool)
        case pair(first: Bool, colon: Bool)
    }

    private(set) var stack: [Context] = []

    /// Moves the innermost context on to the next value; returns the separator that must come
    /// before it, if any.
    mutating func next() -> UInt8? {
        guard let top = stack.last else { return nil }
        switch top {
        case let .list(first):
            if first {
                stack[stack.count - 1] = .list(first: false)
                return nil
            }
            return UInt8(ascii: ",")
        case let .pair(first, colon):
            if first {
                stack[stack.count - 1] = .pair(first: false, colon: true)
                return nil
            }
            stack[stack.count - 1] = .pair(first: false, colon: !colon)
            return colon ? UInt8(ascii: ":") : UInt8(ascii: ",")
        }
    }

    /// Whether the value `next()` just announced is an object key, where numbers are quoted.
    var isKey: Bool {
        if case let .pair(_, colon)? = stack.last { return colon }
        return false
    }

    mutating func pushList() { stack.append(.list(first: true)) }
    mutating func pushPair() { stack.append(.pair(first: true, colon: true)) }
    mutating func pop() { _ = stack.popLast() }
    mutating func reset() { stack.removeAll(keepingCapacity: true) }

    /// After a message header's trailing comma: the body follows with no separator of its own.
    mutating func separatorWritten() {
        if case .list? = stack.last { stack[stack.count - 1] = .list(first: true) }
    }
}
