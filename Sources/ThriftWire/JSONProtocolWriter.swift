import NIOCore

/// Writes Apache Thrift's TJSONProtocol, byte for byte as Python's TJSONProtocol (0.17) does,
/// with two exceptions where Python's output is unreadable:
///
/// - NaN and ±infinity are the quoted strings `"NaN"`, `"Infinity"`, `"-Infinity"` (the spec,
///   C++ and Java); Python writes bare `nan`, `inf`, `-inf`, which no reader, Python's included,
///   accepts as a number.
/// - uuid is written as Java (Apache Thrift 0.19+) writes it: type name `"uid"`, value
///   `"00112233-4455-6677-8899-aabbccddeeff"`. Python 0.17 has no uuid type in any protocol.
///
/// Strings are escaped as Python escapes them: `"`, `\`, and `\b \f \n \r \t`; other control
/// characters and all non-ASCII text go out raw (valid UTF-8, not valid JSON for the controls;
/// every Apache reader takes them). Binary is base64 with padding. Finite doubles have 17
/// significant digits (`'{0:.17g}'`), so they read back to the same bits.
///
/// The writer protocol has no `*End` calls for fields and containers, so the writer closes them
/// itself: a field's `}` after its value, a list's `]` and a map's `}]` after the count of values
/// given to `*Begin`. That count must be the number of values that follow, as in every protocol.
///
/// `writeMessageBegin` writes `[1,"NAME",TYPE,SEQID,` with the trailing comma, so the body struct
/// `{…}` follows directly, from this writer or as raw bytes; `writeMessageEnd` writes `]`.
public struct JSONProtocolWriter: ThriftProtocolWriter {
    public var buffer: ByteBuffer
    var contexts = JSONContexts()
    /// What is open around the next value, innermost last, with what closes it.
    var open: [Open] = []

    enum Open {
        case message
        case `struct`
        /// A field's `{"type":value}` wrapper, closed once its value is written.
        case field
        /// A list or set, closed after `remaining` more values.
        case list(remaining: Int)
        /// A map, closed after `remaining` more keys and values.
        case map(remaining: Int)
    }

    public init(buffer: ByteBuffer = ByteBuffer()) {
        self.buffer = buffer
    }

    public mutating func writeMessageBegin(_ header: ThriftMessageHeader) {
        contexts.reset()
        open.removeAll()
        writeArrayStart()
        writeNumber(JSONProtocol.version)
        writeText(Array(header.name.utf8))
        writeNumber(Int64(header.type.rawValue))
        writeNumber(Int64(header.sequenceID))
        buffer.writeInteger(UInt8(ascii: ","))
        contexts.separatorWritten()
        open.append(.message)
    }

    /// Writes `]`. Also closes a message whose header another writer wrote.
    public mutating func writeMessageEnd() {
        if case .message? = open.last {
            open.removeLast()
            contexts.pop()
        }
        buffer.writeInteger(UInt8(ascii: "]"))
    }

    public mutating func writeStructBegin() {
        writeObjectStart()
        open.append(.struct)
    }

    public mutating func writeStructEnd() {
        guard case .struct? = open.last else {
            assertionFailure("writeStructEnd without writeStructBegin")
            return
        }
        open.removeLast()
        writeObjectEnd()
        valueWritten()
    }

    public mutating func writeFieldBegin(type: TType, id: Int16) {
        writeNumber(Int64(id))
        writeObjectStart()
        writeText(Array(JSONProtocol.typeName(type).utf8))
        open.append(.field)
    }

    public mutating func writeFieldStop() {}

    public mutating func writeMapBegin(key: TType, value: TType, count: Int) {
        writeArrayStart()
        writeText(Array(JSONProtocol.typeName(key).utf8))
        writeText(Array(JSONProtocol.typeName(value).utf8))
        writeNumber(Int64(count))
        writeObjectStart()
        if count > 0 {
            open.append(.map(remaining: 2 * count))
        } else {
            writeObjectEnd()
            writeArrayEnd()
            valueWritten()
        }
    }

    public mutating func writeListBegin(element: TType, count: Int) {
        writeArrayStart()
        writeText(Array(JSONProtocol.typeName(element).utf8))
        writeNumber(Int64(count))
        if count > 0 {
            open.append(.list(remaining: count))
        } else {
            writeArrayEnd()
            valueWritten()
        }
    }

    public mutating func writeSetBegin(element: TType, count: Int) {
        writeListBegin(element: element, count: count)
    }

    public mutating func writeBool(_ value: Bool) { writeInteger(value ? 1 : 0) }
    public mutating func writeByte(_ value: Int8) { writeInteger(Int64(value)) }
    public mutating func writeI16(_ value: Int16) { writeInteger(Int64(value)) }
    public mutating func writeI32(_ value: Int32) { writeInteger(Int64(value)) }
    public mutating func writeI64(_ value: Int64) { writeInteger(value) }

    public mutating func writeDouble(_ value: Double) {
        writeSeparator()
        let special: String? = value.isNaN ? "NaN" : value.isInfinite ? (value < 0 ? "-Infinity" : "Infinity") : nil
        if let special {
            buffer.writeInteger(UInt8(ascii: "\""))
            buffer.writeString(special)
            buffer.writeInteger(UInt8(ascii: "\""))
        } else {
            writeQuotedIfKey(JSONProtocol.formatDouble(value))
        }
        valueWritten()
    }

    public mutating func writeBinary(_ bytes: some Collection<UInt8>) {
        writeSeparator()
        buffer.writeInteger(UInt8(ascii: "\""))
        buffer.writeBytes(JSONProtocol.base64Encode(bytes))
        buffer.writeInteger(UInt8(ascii: "\""))
        valueWritten()
    }

    public mutating func writeString(_ value: String) {
        writeText(Array(value.utf8))
        valueWritten()
    }

    /// Text, as `JSONProtocolReader.readUntypedString` read it.
    public mutating func writeUntypedString(_ bytes: [UInt8]) {
        writeText(bytes)
        valueWritten()
    }

    public mutating func writeUUID(_ bytes: [UInt8]) {
        writeText(JSONProtocol.uuidText(bytes))
        valueWritten()
    }

    // MARK: JSON pieces

    /// The separator the enclosing array or object needs before the next value.
    mutating func writeSeparator() {
        if let separator = contexts.next() { buffer.writeInteger(separator) }
    }

    mutating func writeInteger(_ value: Int64) {
        writeNumber(value)
        valueWritten()
    }

    /// A number, quoted when it is an object key. Not a Thrift value by itself (see `writeInteger`).
    mutating func writeNumber(_ value: Int64) {
        writeSeparator()
        writeQuotedIfKey(Array(String(value).utf8))
    }

    mutating func writeQuotedIfKey(_ number: [UInt8]) {
        let quoted = contexts.isKey
        if quoted { buffer.writeInteger(UInt8(ascii: "\"")) }
        buffer.writeBytes(number)
        if quoted { buffer.writeInteger(UInt8(ascii: "\"")) }
    }

    /// A JSON string of UTF-8 `text`, escaped as Python's `writeJSONString` escapes it.
    mutating func writeText(_ text: [UInt8]) {
        writeSeparator()
        buffer.writeInteger(UInt8(ascii: "\""))
        for byte in text {
            let escape: UInt8? = switch byte {
            case UInt8(ascii: "\""): UInt8(ascii: "\"")
            case UInt8(ascii: "\\"): UInt8(ascii: "\\")
            case 0x08: UInt8(ascii: "b")
            case 0x0C: UInt8(ascii: "f")
            case 0x0A: UInt8(ascii: "n")
            case 0x0D: UInt8(ascii: "r")
            case 0x09: UInt8(ascii: "t")
            default: nil
            }
            if let escape {
                buffer.writeInteger(UInt8(ascii: "\\"))
                buffer.writeInteger(escape)
            } else {
                buffer.writeInteger(byte)
            }
        }
        buffer.writeInteger(UInt8(ascii: "\""))
    }

    mutating func writeObjectStart() {
        writeSeparator()
        buffer.writeInteger(UInt8(ascii: "{"))
        contexts.pushPair()
    }

    mutating func writeObjectEnd() {
        contexts.pop()
        buffer.writeInteger(UInt8(ascii: "}"))
    }

    mutating func writeArrayStart() {
        writeSeparator()
        buffer.writeInteger(UInt8(ascii: "["))
        contexts.pushList()
    }

    mutating func writeArrayEnd() {
        contexts.pop()
        buffer.writeInteger(UInt8(ascii: "]"))
    }

    /// One whole Thrift value has been written: close the field around it, or count it against
    /// its container and close that once full (which completes a value in turn).
    mutating func valueWritten() {
        while let innermost = open.last {
            switch innermost {
            case .field:
                open.removeLast()
                writeObjectEnd()
                return
            case let .list(remaining):
                if remaining > 1 {
                    open[open.count - 1] = .list(remaining: remaining - 1)
                    return
                }
                open.removeLast()
                writeArrayEnd()
            case let .map(remaining):
                if remaining > 1 {
                    open[open.count - 1] = .map(remaining: remaining - 1)
                    return
                }
                open.removeLast()
                writeObjectEnd()
                writeArrayEnd()
            case .struct, .message:
                return
            }
        }
    }
}
