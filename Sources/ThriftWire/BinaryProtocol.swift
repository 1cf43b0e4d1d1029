import NIOCore

/// Reads TBinaryProtocol: big-endian fixed-width integers, i32 length-prefixed strings.
///
/// Message headers are accepted strict (`0x8001_00TT`, name, seqid) and old non-strict (name,
/// type byte, seqid). A non-strict header whose "name" begins with `80 01` is a framed message
/// read without framing, reported as a transport mismatch.
public struct BinaryProtocolReader: ThriftProtocolReader {
    static let versionMask: UInt32 = 0xFFFF_0000
    static let version1: UInt32 = 0x8001_0000

    var cursor: ByteCursor

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
        let first: Int32 = try cursor.readInteger("message header")
        if first < 0 {
            let word = UInt32(bitPattern: first)
            guard word & Self.versionMask == Self.version1 else {
                throw ThriftWireError(.badVersion(word & Self.versionMask), at: 0, "message header")
            }
            let rawType = UInt8(truncatingIfNeeded: word)
            guard let type = ThriftMessageType(rawValue: rawType) else {
                throw ThriftWireError(.unknownMessageType(rawType), at: 3, "message header")
            }
            let name = try readString()
            let seqid: Int32 = try cursor.readInteger("message seqid")
            return ThriftMessageHeader(name: name, type: type, sequenceID: seqid)
        }
        // Old non-strict header: the first word is the name's length.
        let length = Int(first)
        if length >= 4, cursor.remaining >= 2,
           cursor.buffer.getInteger(at: cursor.buffer.readerIndex, as: UInt16.self) == 0x8001 {
            throw ThriftWireError(
                .transportMismatch("a framed message (length \(length), then 80 01) arrived at an unframed reader"),
                at: 0, "message header")
        }
        let name = try cursor.readString(length, "message name")
        let rawType: UInt8 = try cursor.readInteger("message type")
        guard let type = ThriftMessageType(rawValue: rawType) else {
            throw cursor.error(.unknownMessageType(rawType), "message type")
        }
        let seqid: Int32 = try cursor.readInteger("message seqid")
        return ThriftMessageHeader(name: name, type: type, sequenceID: seqid)
    }

    public mutating func readStructBegin() throws { try cursor.enter("struct") }
    public mutating func readStructEnd() throws { cursor.leave() }

    public mutating func readFieldBegin() throws -> ThriftFieldHeader {
        let raw: UInt8 = try cursor.readInteger("field header")
        if raw == TType.stop.rawValue { return .stop }
        let type = try cursor.valueType(raw, "field header")
        let id: Int16 = try cursor.readInteger("field id")
        return ThriftFieldHeader(type: type, id: id)
    }

    public mutating func readMapBegin() throws -> (key: TType, value: TType, count: Int) {
        try cursor.enter("map")
        let key = try cursor.valueType(try cursor.readInteger(as: UInt8.self, "map key type"), "map key type")
        let value = try cursor.valueType(try cursor.readInteger(as: UInt8.self, "map value type"), "map value type")
        let count = Int(try cursor.readInteger(as: Int32.self, "map size"))
        try cursor.checkLength(count, minimumElementSize: Self.minimumSize(key) + Self.minimumSize(value), "map size")
        return (key, value, count)
    }

    public mutating func readMapEnd() throws { cursor.leave() }

    public mutating func readListBegin() throws -> (element: TType, count: Int) {
        try readCollectionBegin("list")
    }

    public mutating func readListEnd() throws { cursor.leave() }

    public mutating func readSetBegin() throws -> (element: TType, count: Int) {
        try readCollectionBegin("set")
    }

    public mutating func readSetEnd() throws { cursor.leave() }

    mutating func readCollectionBegin(_ what: String) throws -> (element: TType, count: Int) {
        try cursor.enter(what)
        let element = try cursor.valueType(try cursor.readInteger(as: UInt8.self, "\(what) element type"), "\(what) element type")
        let count = Int(try cursor.readInteger(as: Int32.self, "\(what) size"))
        try cursor.checkLength(count, minimumElementSize: Self.minimumSize(element), "\(what) size")
        return (element, count)
    }

    public mutating func readBool() throws -> Bool { try cursor.readInteger(as: UInt8.self, "bool") != 0 }
    public mutating func readByte() throws -> Int8 { try cursor.readInteger("byte") }
    public mutating func readI16() throws -> Int16 { try cursor.readInteger("i16") }
    public mutating func readI32() throws -> Int32 { try cursor.readInteger("i32") }
    public mutating func readI64() throws -> Int64 { try cursor.readInteger("i64") }
    public mutating func readDouble() throws -> Double {
        Double(bitPattern: try cursor.readInteger(as: UInt64.self, "double"))
    }

    public mutating func readBinary() throws -> [UInt8] {
        let length = Int(try cursor.readInteger(as: Int32.self, "binary length"))
        return try cursor.readBytes(length, "binary length")
    }

    public mutating func readString() throws -> String {
        let length = Int(try cursor.readInteger(as: Int32.self, "string length"))
        return try cursor.readString(length, "string length")
    }

    public mutating func readUUID() throws -> [UInt8] { try cursor.readBytes(16, "uuid") }

    public mutating func skipBinary() throws {
        let length = Int(try cursor.readInteger(as: Int32.self, "string length"))
        try cursor.skipBytes(length, "string length")
    }

    /// The fewest bytes a value of `type` takes in this protocol; bounds container counts.
    static func minimumSize(_ type: TType) -> Int {
        switch type {
        case .bool, .byte, .struct: 1
        case .i16: 2
        case .i32, .string: 4
        case .double, .i64: 8
        case .map: 6
        case .set, .list: 5
        case .uuid: 16
        case .stop, .void: 1
        }
    }
}

/// Writes TBinaryProtocol, strict message headers (`0x8001_00TT`), as every current peer expects.
public struct BinaryProtocolWriter: ThriftProtocolWriter {
    public var buffer: ByteBuffer

    public init(buffer: ByteBuffer = ByteBuffer()) {
        self.buffer = buffer
    }

    public mutating func writeMessageBegin(_ header: ThriftMessageHeader) {
        buffer.writeInteger(BinaryProtocolReader.version1 | UInt32(header.type.rawValue))
        writeString(header.name)
        buffer.writeInteger(header.sequenceID)
    }

    public mutating func writeStructBegin() {}
    public mutating func writeStructEnd() {}

    public mutating func writeFieldBegin(type: TType, id: Int16) {
        buffer.writeInteger(type.rawValue)
        buffer.writeInteger(id)
    }

    public mutating func writeFieldStop() { buffer.writeInteger(TType.stop.rawValue) }

    public mutating func writeMapBegin(key: TType, value: TType, count: Int) {
        buffer.writeInteger(key.rawValue)
        buffer.writeInteger(value.rawValue)
        buffer.writeInteger(Int32(count))
    }

    public mutating func writeListBegin(element: TType, count: Int) {
        buffer.writeInteger(element.rawValue)
        buffer.writeInteger(Int32(count))
    }

    public mutating func writeSetBegin(element: TType, count: Int) {
        writeListBegin(element: element, count: count)
    }

    public mutating func writeBool(_ value: Bool) { buffer.writeInteger(UInt8(value ? 1 : 0)) }
    public mutating func writeByte(_ value: Int8) { buffer.writeInteger(value) }
    public mutating func writeI16(_ value: Int16) { buffer.writeInteger(value) }
    public mutating func writeI32(_ value: Int32) { buffer.writeInteger(value) }
    public mutating func writeI64(_ value: Int64) { buffer.writeInteger(value) }
    public mutating func writeDouble(_ value: Double) { buffer.writeInteger(value.bitPattern) }

    public mutating func writeBinary(_ bytes: some Collection<UInt8>) {
        buffer.writeInteger(Int32(bytes.count))
        buffer.writeBytes(bytes)
    }

    public mutating func writeString(_ value: String) {
        // Reserve the length, write the UTF-8 bytes in place, then fill the length in.
        let lengthIndex = buffer.writerIndex
        buffer.writeInteger(Int32(0))
        let written = buffer.writeString(value)
        buffer.setInteger(Int32(written), at: lengthIndex)
    }

    public mutating func writeUUID(_ bytes: [UInt8]) { buffer.writeBytes(bytes) }
}
