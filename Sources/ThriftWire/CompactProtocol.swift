import NIOCore

/// The compact protocol's 4-bit type codes (distinct from `TType`'s binary-protocol ids).
enum CompactType: UInt8 {
    case booleanTrue = 1, booleanFalse = 2, byte = 3, i16 = 4, i32 = 5, i64 = 6
    case double = 7, binary = 8, list = 9, set = 10, map = 11, `struct` = 12, uuid = 13

    init(_ type: TType) {
        switch type {
        case .bool: self = .booleanTrue
        case .byte: self = .byte
        case .i16: self = .i16
        case .i32: self = .i32
        case .i64: self = .i64
        case .double: self = .double
        case .string: self = .binary
        case .list: self = .list
        case .set: self = .set
        case .map: self = .map
        case .struct: self = .struct
        case .uuid: self = .uuid
        case .stop, .void: preconditionFailure("\(type) has no compact type code")
        }
    }

    var ttype: TType {
        switch self {
        case .booleanTrue, .booleanFalse: .bool
        case .byte: .byte
        case .i16: .i16
        case .i32: .i32
        case .i64: .i64
        case .double: .double
        case .binary: .string
        case .list: .list
        case .set: .set
        case .map: .map
        case .struct: .struct
        case .uuid: .uuid
        }
    }
}

enum CompactProtocolConstants {
    static let protocolID: UInt8 = 0x82
    static let version: UInt8 = 1
    static let versionMask: UInt8 = 0x1F
    static let typeShift: UInt8 = 5
}

/// Reads TCompactProtocol: zigzag varints, field-id deltas, booleans folded into field types,
/// little-endian doubles.
public struct CompactProtocolReader: ThriftProtocolReader {
    var cursor: ByteCursor
    /// The last field id of each open struct; field-id deltas are relative to it.
    var lastFieldIDs: [Int16] = []
    var lastFieldID: Int16 = 0
    /// A bool field's value travels in its field header; it is held here until `readBool`.
    var pendingBool: Bool?

    public init(_ buffer: ByteBuffer, limits: ThriftLimits = .default) {
        cursor = ByteCursor(buffer, limits: limits)
    }

    init(streaming buffer: ByteBuffer, limits: ThriftLimits) {
        cursor = ByteCursor(buffer, limits: limits, streaming: true)
    }

    public var limits: ThriftLimits { cursor.limits }
    public var remaining: Int { cursor.remaining }
    public var buffer: ByteBuffer { cursor.buffer }

    public mutating func readMessageBegin() throws -> ThriftMessageHeader {
        let id: UInt8 = try cursor.readInteger("message header")
        guard id == CompactProtocolConstants.protocolID else {
            throw ThriftWireError(.badProtocolId(id), at: 0, "message header")
        }
        let versionAndType: UInt8 = try cursor.readInteger("message header")
        let version = versionAndType & CompactProtocolConstants.versionMask
        guard version == CompactProtocolConstants.version else {
            throw ThriftWireError(.badCompactVersion(version), at: 1, "message header")
        }
        let rawType = versionAndType >> CompactProtocolConstants.typeShift
        guard let type = ThriftMessageType(rawValue: rawType) else {
            throw ThriftWireError(.unknownMessageType(rawType), at: 1, "message header")
        }
        let seqid = Int32(bitPattern: try readVarint32("message seqid"))
        let name = try readString()
        return ThriftMessageHeader(name: name, type: type, sequenceID: seqid)
    }

    public mutating func readStructBegin() throws {
        try cursor.enter("struct")
        lastFieldIDs.append(lastFieldID)
        lastFieldID = 0
    }

    public mutating func readStructEnd() throws {
        cursor.leave()
        lastFieldID = lastFieldIDs.popLast() ?? 0
    }

    public mutating func readFieldBegin() throws -> ThriftFieldHeader {
        let byte: UInt8 = try cursor.readInteger("field header")
        if byte == 0 { return .stop }
        let type = try compactType(byte & 0x0F, "field header")
        let delta = Int16(byte >> 4)
        let id: Int16
        if delta != 0 {
            id = lastFieldID &+ delta
        } else {
            id = try readI16()
        }
        lastFieldID = id
        if type == .booleanTrue || type == .booleanFalse {
            pendingBool = type == .booleanTrue
        }
        return ThriftFieldHeader(type: type.ttype, id: id)
    }

    public mutating func readMapBegin() throws -> (key: TType, value: TType, count: Int) {
        try cursor.enter("map")
        let count = Int(Int32(bitPattern: try readVarint32("map size")))
        if count == 0 {
            try cursor.checkLength(count, "map size")
            // An empty map has no type byte; any valid types will do.
            return (.string, .string, 0)
        }
        let types: UInt8 = try cursor.readInteger("map types")
        let key = try compactType(types >> 4, "map key type").ttype
        let value = try compactType(types & 0x0F, "map value type").ttype
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
        let header: UInt8 = try cursor.readInteger("\(what) header")
        let element = try compactType(header & 0x0F, "\(what) element type").ttype
        var count = Int(header >> 4)
        if count == 15 {
            count = Int(Int32(bitPattern: try readVarint32("\(what) size")))
        }
        try cursor.checkLength(count, minimumElementSize: Self.minimumSize(element), "\(what) size")
        return (element, count)
    }

    public mutating func readBool() throws -> Bool {
        if let value = pendingBool {
            pendingBool = nil
            return value
        }
        // Inside containers a bool is a whole byte: 1 true, anything else (2, or 0 from some
        // older writers) false.
        return try cursor.readInteger(as: UInt8.self, "bool") == CompactType.booleanTrue.rawValue
    }

    public mutating func readByte() throws -> Int8 { try cursor.readInteger("byte") }

    public mutating func readI16() throws -> Int16 {
        let raw = try readVarint64("i16", maxBytes: 3)
        let value = zigzagDecode(raw)
        guard let narrow = Int16(exactly: value) else {
            throw cursor.error(.varintTooLong, "i16")
        }
        return narrow
    }

    public mutating func readI32() throws -> Int32 {
        Int32(truncatingIfNeeded: zigzagDecode(UInt64(try readVarint32("i32"))))
    }

    public mutating func readI64() throws -> Int64 { zigzagDecode(try readVarint64("i64", maxBytes: 10)) }

    public mutating func readDouble() throws -> Double {
        Double(bitPattern: try cursor.readInteger(as: UInt64.self, endianness: .little, "double"))
    }

    public mutating func readBinary() throws -> [UInt8] {
        let length = Int(Int32(bitPattern: try readVarint32("binary length")))
        return try cursor.readBytes(length, "binary length")
    }

    public mutating func readString() throws -> String {
        let length = Int(Int32(bitPattern: try readVarint32("string length")))
        return try cursor.readString(length, "string length")
    }

    public mutating func readUUID() throws -> [UInt8] { try cursor.readBytes(16, "uuid") }

    public mutating func skipBinary() throws {
        let length = Int(Int32(bitPattern: try readVarint32("string length")))
        try cursor.skipBytes(length, "string length")
    }

    // MARK: varints

    mutating func readVarint32(_ context: @autoclosure () -> String) throws -> UInt32 {
        UInt32(truncatingIfNeeded: try readVarint64(context(), maxBytes: 5))
    }

    mutating func readVarint64(_ context: @autoclosure () -> String, maxBytes: Int) throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        for _ in 0..<maxBytes {
            let byte: UInt8 = try cursor.readInteger(context())
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
        throw cursor.error(.varintTooLong, context())
    }

    func zigzagDecode(_ n: UInt64) -> Int64 {
        Int64(bitPattern: n >> 1) ^ -Int64(bitPattern: n & 1)
    }

    func compactType(_ raw: UInt8, _ context: @autoclosure () -> String) throws -> CompactType {
        guard let type = CompactType(rawValue: raw) else {
            throw cursor.error(.unknownType(raw), context())
        }
        return type
    }

    static func minimumSize(_ type: TType) -> Int {
        switch type {
        case .double: 8
        case .uuid: 16
        default: 1
        }
    }
}

/// Writes TCompactProtocol.
public struct CompactProtocolWriter: ThriftProtocolWriter {
    public var buffer: ByteBuffer
    var lastFieldIDs: [Int16] = []
    var lastFieldID: Int16 = 0
    /// A bool field's header is written by `writeBool`, which knows the value it must carry.
    var pendingBoolFieldID: Int16?

    public init(buffer: ByteBuffer = ByteBuffer()) {
        self.buffer = buffer
    }

    public mutating func writeMessageBegin(_ header: ThriftMessageHeader) {
        buffer.writeInteger(CompactProtocolConstants.protocolID)
        buffer.writeInteger(CompactProtocolConstants.version | (header.type.rawValue << CompactProtocolConstants.typeShift))
        writeVarint(UInt64(UInt32(bitPattern: header.sequenceID)))
        writeString(header.name)
    }

    public mutating func writeStructBegin() {
        lastFieldIDs.append(lastFieldID)
        lastFieldID = 0
    }

    public mutating func writeStructEnd() {
        lastFieldID = lastFieldIDs.popLast() ?? 0
    }

    public mutating func writeFieldBegin(type: TType, id: Int16) {
        if type == .bool {
            pendingBoolFieldID = id
        } else {
            writeFieldHeader(CompactType(type), id: id)
        }
    }

    mutating func writeFieldHeader(_ type: CompactType, id: Int16) {
        let delta = Int(id) - Int(lastFieldID)
        if delta > 0 && delta <= 15 {
            buffer.writeInteger(UInt8(delta << 4) | type.rawValue)
        } else {
            buffer.writeInteger(type.rawValue)
            writeI16(id)
        }
        lastFieldID = id
    }

    public mutating func writeFieldStop() { buffer.writeInteger(UInt8(0)) }

    public mutating func writeMapBegin(key: TType, value: TType, count: Int) {
        writeVarint(UInt64(UInt32(count)))
        if count > 0 {
            buffer.writeInteger(CompactType(key).rawValue << 4 | CompactType(value).rawValue)
        }
    }

    public mutating func writeListBegin(element: TType, count: Int) {
        let type = CompactType(element).rawValue
        if count < 15 {
            buffer.writeInteger(UInt8(count) << 4 | type)
        } else {
            buffer.writeInteger(0xF0 | type)
            writeVarint(UInt64(UInt32(count)))
        }
    }

    public mutating func writeSetBegin(element: TType, count: Int) {
        writeListBegin(element: element, count: count)
    }

    public mutating func writeBool(_ value: Bool) {
        let type: CompactType = value ? .booleanTrue : .booleanFalse
        if let id = pendingBoolFieldID {
            pendingBoolFieldID = nil
            writeFieldHeader(type, id: id)
        } else {
            buffer.writeInteger(type.rawValue)
        }
    }

    public mutating func writeByte(_ value: Int8) { buffer.writeInteger(value) }
    public mutating func writeI16(_ value: Int16) { writeVarint(zigzag(Int64(value))) }
    public mutating func writeI32(_ value: Int32) { writeVarint(zigzag(Int64(value))) }
    public mutating func writeI64(_ value: Int64) { writeVarint(zigzag(value)) }
    public mutating func writeDouble(_ value: Double) {
        buffer.writeInteger(value.bitPattern, endianness: .little)
    }

    public mutating func writeBinary(_ bytes: some Collection<UInt8>) {
        writeVarint(UInt64(bytes.count))
        buffer.writeBytes(bytes)
    }

    public mutating func writeString(_ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            writeVarint(UInt64(utf8.count))
            buffer.writeBytes(utf8)
        }
    }

    public mutating func writeUUID(_ bytes: [UInt8]) { buffer.writeBytes(bytes) }

    mutating func writeVarint(_ value: UInt64) {
        var n = value
        while n >= 0x80 {
            buffer.writeInteger(UInt8(truncatingIfNeeded: n) | 0x80)
            n >>= 7
        }
        buffer.writeInteger(UInt8(n))
    }

    func zigzag(_ n: Int64) -> UInt64 {
        UInt64(bitPattern: (n << 1) ^ (n >> 63))
    }
}
