import NIOCore

/// Reads Apache Thrift's TJSONProtocol (see `JSONProtocol` for the layout).
///
/// Accepts everything Apache's writers produce (Python, C++, Java): base64 with or without
/// padding, every JSON escape including `\/` and surrogate pairs, raw UTF-8 and raw control
/// characters in strings (Python writes those), doubles as numbers, as the quoted `"NaN"`,
/// `"Infinity"`, `"-Infinity"`, and as Python's bare `nan`, `inf`, `-inf`. Also accepts JSON
/// whitespace between tokens, which no Apache reader does.
///
/// Stricter than Apache's readers where they crash or guess: type names must be exact, numbers
/// must fit their type, base64 must use the standard alphabet, and numbers are at most
/// `JSONProtocol.maxNumberLength` characters. Each problem is a `ThriftWireError` naming it and its
/// offset: `.badJSON` for the text itself, and the kinds the other readers use for truncation,
/// depth and counts larger than the bytes left could hold.
///
/// `readMessageBegin` consumes `[1,"NAME",TYPE,SEQID,` and leaves the reader at the body's `{`;
/// `readMessageEnd` consumes the `]` after the body.
public struct JSONProtocolReader: ThriftProtocolReader {
    var cursor: ByteCursor
    var contexts = JSONContexts()
    /// One entry per open struct: whether the last field's `{"type":` wrapper is still open. The
    /// reader protocol has no `readFieldEnd`, so the next `readFieldBegin` closes it.
    var fieldOpen: [Bool] = []

    public init(_ buffer: ByteBuffer, limits: ThriftLimits = .default) {
        cursor = ByteCursor(buffer, limits: limits)
    }

    init(streaming buffer: ByteBuffer, limits: ThriftLimits) {
        cursor = ByteCursor(buffer, limits: limits, streaming: true)
    }

    public var limits: ThriftLimits { cursor.limits }
    public var remaining: Int { cursor.remaining }
    /// The unread bytes; what follows the message once it has been read.
    public var buffer: ByteBuffer { cursor.buffer }

    public mutating func readMessageBegin() throws -> ThriftMessageHeader {
        contexts.reset()
        fieldOpen.removeAll()
        // A JSON message starts with `[` (or whitespace), never 00: a frame length.
        if cursor.remaining >= 5, byte(at: 0) == 0, byte(at: 4) == UInt8(ascii: "[") {
            throw ThriftWireError(
                .transportMismatch("a framed message (4-byte length, then '[') arrived at an unframed reader"),
                at: 0, "message header")
        }
        try expect(UInt8(ascii: "["), "message header")
        contexts.pushList()
        let version = try readInteger(Int64.self, "message version")
        guard version == JSONProtocol.version else {
            throw cursor.error(.badJSON("message version \(version), expected \(JSONProtocol.version)"), "message header")
        }
        try beginValue("message name")
        let name = String(decoding: try readJSONString("message name"), as: UTF8.self)
        let rawType = try readInteger(Int64.self, "message type")
        guard let typeByte = UInt8(exactly: rawType) else {
            throw cursor.error(.badJSON("message type \(rawType) out of range"), "message type")
        }
        guard let type = ThriftMessageType(rawValue: typeByte) else {
            throw cursor.error(.unknownMessageType(typeByte), "message type")
        }
        let seqid = try readInteger(Int32.self, "message seqid")
        // The comma before the body belongs to the header: the body starts at its `{`.
        try expect(UInt8(ascii: ","), "message header")
        contexts.separatorWritten()
        return ThriftMessageHeader(name: name, type: type, sequenceID: seqid)
    }

    public mutating func readMessageEnd() throws {
        try expect(UInt8(ascii: "]"), "message end")
        contexts.pop()
    }

    public mutating func readStructBegin() throws {
        try cursor.enter("struct")
        try beginValue("struct")
        try expect(UInt8(ascii: "{"), "struct")
        contexts.pushPair()
        fieldOpen.append(false)
    }

    public mutating func readStructEnd() throws {
        try closeField()
        try expect(UInt8(ascii: "}"), "struct end")
        contexts.pop()
        _ = fieldOpen.popLast()
        cursor.leave()
    }

    public mutating func readFieldBegin() throws -> ThriftFieldHeader {
        try closeField()
        if try peek("field header") == UInt8(ascii: "}") { return .stop }
        let id = try readInteger(Int16.self, "field id")
        try beginValue("field header")
        try expect(UInt8(ascii: "{"), "field header")
        contexts.pushPair()
        let type = try readTypeName("field type")
        if !fieldOpen.isEmpty { fieldOpen[fieldOpen.count - 1] = true }
        return ThriftFieldHeader(type: type, id: id)
    }

    /// Consumes the `}` of the last field's `{"type":value}` wrapper, if one is open.
    mutating func closeField() throws {
        guard fieldOpen.last == true else { return }
        try expect(UInt8(ascii: "}"), "field end")
        contexts.pop()
        fieldOpen[fieldOpen.count - 1] = false
    }

    public mutating func readMapBegin() throws -> (key: TType, value: TType, count: Int) {
        try cursor.enter("map")
        try beginValue("map")
        try expect(UInt8(ascii: "["), "map header")
        contexts.pushList()
        let key = try readTypeName("map key type")
        let value = try readTypeName("map value type")
        let count = Int(try readInteger(Int32.self, "map size"))
        try beginValue("map header")
        try expect(UInt8(ascii: "{"), "map header")
        contexts.pushPair()
        // Each entry is a key, a colon, a value and a comma (or the closing brace).
        let entrySize = JSONProtocol.minimumSize(key, asKey: true) + JSONProtocol.minimumSize(value) + 2
        try cursor.checkLength(count, minimumElementSize: entrySize, "map size")
        return (key, value, count)
    }

    public mutating func readMapEnd() throws {
        try expect(UInt8(ascii: "}"), "map end")
        contexts.pop()
        try expect(UInt8(ascii: "]"), "map end")
        contexts.pop()
        cursor.leave()
    }

    public mutating func readListBegin() throws -> (element: TType, count: Int) {
        try readCollectionBegin("list")
    }

    public mutating func readListEnd() throws { try readCollectionEnd("list end") }

    public mutating func readSetBegin() throws -> (element: TType, count: Int) {
        try readCollectionBegin("set")
    }

    public mutating func readSetEnd() throws { try readCollectionEnd("set end") }

    mutating func readCollectionBegin(_ what: String) throws -> (element: TType, count: Int) {
        try cursor.enter(what)
        try beginValue(what)
        try expect(UInt8(ascii: "["), "\(what) header")
        contexts.pushList()
        let element = try readTypeName("\(what) element type")
        let count = Int(try readInteger(Int32.self, "\(what) size"))
        // Each element is followed by a comma or the closing bracket.
        try cursor.checkLength(count, minimumElementSize: JSONProtocol.minimumSize(element) + 1, "\(what) size")
        return (element, count)
    }

    mutating func readCollectionEnd(_ context: String) throws {
        try expect(UInt8(ascii: "]"), context)
        contexts.pop()
        cursor.leave()
    }

    /// Any integer but 0 is true, as in Apache's readers.
    public mutating func readBool() throws -> Bool { try readInteger(Int64.self, "bool") != 0 }
    public mutating func readByte() throws -> Int8 { try readInteger(Int8.self, "byte") }
    public mutating func readI16() throws -> Int16 { try readInteger(Int16.self, "i16") }
    public mutating func readI32() throws -> Int32 { try readInteger(Int32.self, "i32") }
    public mutating func readI64() throws -> Int64 { try readInteger(Int64.self, "i64") }

    public mutating func readDouble() throws -> Double {
        try beginValue("double")
        let start = cursor.offset
        let token: [UInt8]
        let first = try peek("double")
        if first == UInt8(ascii: "\"") {
            token = try readJSONString("double", maxLength: JSONProtocol.maxNumberLength)
        } else if contexts.isKey {
            throw cursor.error(.badJSON("expected '\"' before a map key but found \(describe(first))"), "double")
        } else {
            // Letters too, for Python's bare nan, inf and -inf.
            token = try readToken("double") { JSONProtocol.isNumeric($0) || Self.isLetter($0) }
        }
        guard let value = JSONProtocol.parseDouble(token) else {
            if first != UInt8(ascii: "\"") { try checkCutOff("double") }
            throw ThriftWireError(.badJSON("\(quoted(token)) is not a double"), at: start, "double")
        }
        return value
    }

    public mutating func readBinary() throws -> [UInt8] {
        try beginValue("binary")
        let start = cursor.offset
        let text = try readJSONString("binary")
        guard let bytes = JSONProtocol.base64Decode(text) else {
            throw ThriftWireError(.badJSON("invalid base64 \(quoted(text.prefix(40)))"), at: start, "binary")
        }
        return bytes
    }

    /// Invalid UTF-8 (raw, or from lone escapes) is replaced, as the other readers do.
    public mutating func readString() throws -> String {
        try beginValue("string")
        return String(decoding: try readJSONString("string"), as: UTF8.self)
    }

    public mutating func readUUID() throws -> [UInt8] {
        try beginValue("uuid")
        let start = cursor.offset
        let text = try readJSONString("uuid", maxLength: JSONProtocol.maxNumberLength)
        guard let bytes = JSONProtocol.uuidBytes(text) else {
            throw ThriftWireError(.badJSON("\(quoted(text)) is not a uuid (8-4-4-4-12 hex digits)"), at: start, "uuid")
        }
        return bytes
    }

    /// The text of a string-typed value: without a schema, `string` and `binary` look alike.
    public mutating func readUntypedString() throws -> [UInt8] {
        try beginValue("string")
        return try readJSONString("string")
    }

    /// Skips a string or binary, checking its escapes but keeping nothing.
    public mutating func skipBinary() throws {
        try beginValue("string")
        _ = try readJSONString("string", collect: false)
    }

    // MARK: JSON tokens

    func byte(at index: Int) -> UInt8? {
        cursor.buffer.getInteger(at: cursor.buffer.readerIndex + index, as: UInt8.self)
    }

    mutating func skipWhitespace() {
        while let next = byte(at: 0),
              next == UInt8(ascii: " ") || next == UInt8(ascii: "\t") || next == UInt8(ascii: "\n") || next == UInt8(ascii: "\r") {
            cursor.buffer.moveReaderIndex(forwardBy: 1)
        }
    }

    /// The next byte after any whitespace, not consumed.
    mutating func peek(_ context: @autoclosure () -> String) throws -> UInt8 {
        skipWhitespace()
        guard let next = byte(at: 0) else {
            throw cursor.error(.truncated(needed: 1, available: 0), context())
        }
        return next
    }

    mutating func expect(_ expected: UInt8, _ context: @autoclosure () -> String) throws {
        let found = try peek(context())
        guard found == expected else {
            throw cursor.error(.badJSON("expected '\(Character(Unicode.Scalar(expected)))' but found \(describe(found))"), context())
        }
        cursor.buffer.moveReaderIndex(forwardBy: 1)
    }

    /// Consumes the comma or colon the enclosing array or object puts before the next value.
    mutating func beginValue(_ context: @autoclosure () -> String) throws {
        if let separator = contexts.next() { try expect(separator, context()) }
    }

    /// An integer value (after its separator): quoted when it is an object key, as Apache writes.
    mutating func readInteger<T: FixedWidthInteger & SignedInteger>(_: T.Type, _ context: String) throws -> T {
        try beginValue(context)
        let isKey = contexts.isKey
        if isKey { try expect(UInt8(ascii: "\""), context) } else { skipWhitespace() }
        let start = cursor.offset
        let token = try readToken(context, JSONProtocol.isNumeric)
        if isKey {
            // Right after the digits: no whitespace inside the quotes.
            guard byte(at: 0) == UInt8(ascii: "\"") else {
                throw cursor.error(byte(at: 0) == nil ? .truncated(needed: 1, available: 0) : .badJSON("expected '\"' after a map key"), context)
            }
            cursor.buffer.moveReaderIndex(forwardBy: 1)
        }
        let digits = token.first == UInt8(ascii: "-") || token.first == UInt8(ascii: "+") ? token.dropFirst() : token[...]
        guard !digits.isEmpty, digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            if !isKey { try checkCutOff(context) }
            throw ThriftWireError(.badJSON("\(quoted(token)) is not an integer"), at: start, context)
        }
        guard let value = T(String(decoding: token, as: UTF8.self)) else {
            throw ThriftWireError(.badJSON("\(String(decoding: token, as: UTF8.self)) out of range for \(T.self)"), at: start, context)
        }
        return value
    }

    /// The run of bytes matching `accept` at the reader, at most `maxNumberLength` of them. In a
    /// stream the run may go on in bytes not yet arrived, so reaching the end is `.truncated`.
    mutating func readToken(_ context: @autoclosure () -> String, _ accept: (UInt8) -> Bool) throws -> [UInt8] {
        var length = 0
        while true {
            guard let next = byte(at: length) else {
                if cursor.streaming || length == 0 {
                    throw cursor.error(.truncated(needed: length + 1, available: length), context())
                }
                break
            }
            if !accept(next) { break }
            length += 1
            if length > JSONProtocol.maxNumberLength {
                throw cursor.error(.badJSON("number longer than \(JSONProtocol.maxNumberLength) characters"), context())
            }
        }
        guard length > 0 else {
            throw cursor.error(.badJSON("expected a number but found \(describe(byte(at: 0)!))"), context())
        }
        return cursor.buffer.readBytes(length: length)!
    }

    /// A malformed number that runs to the end of the input may be a good one cut off (`-` of
    /// `-5`): that is `.truncated`, so a caller waits for more or reports the input as cut off.
    func checkCutOff(_ context: @autoclosure () -> String) throws {
        if cursor.remaining == 0 { throw cursor.error(.truncated(needed: 1, available: 0), context()) }
    }

    mutating func readTypeName(_ context: String) throws -> TType {
        try beginValue(context)
        let start = cursor.offset
        let name = try readJSONString(context, maxLength: 8)
        guard let type = JSONProtocol.type(named: name) else {
            throw ThriftWireError(.badJSON("unknown type name \(quoted(name))"), at: start, context)
        }
        return type
    }

    /// A JSON string (its separator already read), unescaped to UTF-8 bytes; with `collect` false
    /// only checked. Escaped text never grows, so the result is no larger than the input.
    mutating func readJSONString(_ context: @autoclosure () -> String, maxLength: Int = .max, collect: Bool = true) throws -> [UInt8] {
        try expect(UInt8(ascii: "\""), context())
        var out: [UInt8] = []
        var highSurrogate: UInt32?
        while true {
            // The run of plain bytes up to the next quote or backslash, in one copy.
            let run = cursor.buffer.withUnsafeReadableBytes { raw in
                raw.firstIndex { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") } ?? raw.count
            }
            if run > 0 {
                if highSurrogate != nil { throw cursor.error(.badJSON("high surrogate not followed by a low one"), context()) }
                // Never more than one byte past `maxLength`: enough to reject it. (An escape can
                // already have taken `out` past it: then no room at all.)
                let room = max(0, maxLength - out.count)
                if collect { out.append(contentsOf: cursor.buffer.readableBytesView.prefix(room < run ? room + 1 : run)) }
                cursor.buffer.moveReaderIndex(forwardBy: run)
            }
            if out.count > maxLength {
                throw cursor.error(.badJSON("string longer than the \(maxLength) bytes allowed here"), context())
            }
            let next: UInt8 = try cursor.readInteger(context())
            if next == UInt8(ascii: "\"") {
                if highSurrogate != nil { throw cursor.error(.badJSON("high surrogate not followed by a low one"), context()) }
                return out
            }
            // A backslash.
            let escape: UInt8 = try cursor.readInteger(context())
            if escape != UInt8(ascii: "u") {
                if highSurrogate != nil { throw cursor.error(.badJSON("high surrogate not followed by a low one"), context()) }
                guard let unescaped = Self.unescape(escape) else {
                    throw cursor.error(.badJSON("bad escape: backslash then \(describe(escape))"), context())
                }
                if collect { out.append(unescaped) }
                continue
            }
            try cursor.need(4, context())
            var unit: UInt32 = 0
            for _ in 0..<4 {
                let digit: UInt8 = try cursor.readInteger(context())
                guard let nibble = JSONProtocol.hexValue(digit) else {
                    throw cursor.error(.badJSON("bad \\u escape: \(describe(digit)) is not a hex digit"), context())
                }
                unit = unit << 4 | UInt32(nibble)
            }
            let scalar: UInt32
            switch (unit, highSurrogate) {
            case (0xD800...0xDBFF, nil):
                highSurrogate = unit
                continue
            case let (0xDC00...0xDFFF, high?):
                scalar = 0x10000 + ((high - 0xD800) << 10) + (unit - 0xDC00)
                highSurrogate = nil
            case (0xDC00...0xDFFF, nil):
                throw cursor.error(.badJSON("low surrogate without a high one"), context())
            case (_, _?):
                throw cursor.error(.badJSON("high surrogate not followed by a low one"), context())
            default:
                scalar = unit
            }
            // Never nil: surrogates were paired above.
            if collect, let decoded = Unicode.Scalar(scalar) { UTF8.encode(decoded) { out.append($0) } }
        }
    }

    static func unescape(_ escape: UInt8) -> UInt8? {
        switch escape {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): escape
        case UInt8(ascii: "b"): 0x08
        case UInt8(ascii: "f"): 0x0C
        case UInt8(ascii: "n"): 0x0A
        case UInt8(ascii: "r"): 0x0D
        case UInt8(ascii: "t"): 0x09
        default: nil
        }
    }

    static func isLetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }

    func describe(_ byte: UInt8) -> String {
        (0x21...0x7E).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16))"
    }

    func quoted(_ text: some Collection<UInt8>) -> String {
        "\"\(String(decoding: text.prefix(40), as: UTF8.self))\""
    }
}
