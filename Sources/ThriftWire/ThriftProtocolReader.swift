import NIOCore

/// A field header as read from a struct: its type and id, or `.stop` at the end of the struct.
public struct ThriftFieldHeader: Sendable, Equatable {
    public var type: TType
    public var id: Int16

    public init(type: TType, id: Int16) {
        self.type = type
        self.id = id
    }

    public static let stop = ThriftFieldHeader(type: .stop, id: 0)
}

/// Reads Thrift values from one message's bytes in one protocol.
///
/// Implementations check every length against the bytes left before allocating, count nesting
/// depth in `*Begin`/`*End`, and throw `ThriftWireError` naming the problem and its offset. The
/// caller must pair each `*Begin` with its `*End`.
public protocol ThriftProtocolReader {
    var limits: ThriftLimits { get }
    /// Bytes not yet consumed.
    var remaining: Int { get }

    mutating func readMessageBegin() throws -> ThriftMessageHeader
    /// Consumes what closes a message after its body struct: `]` in TJSONProtocol, nothing in
    /// the binary and compact protocols (the default). Call it after the body has been read or
    /// skipped, where the message's length matters (the unframed splitter).
    mutating func readMessageEnd() throws
    mutating func readStructBegin() throws
    mutating func readStructEnd() throws
    mutating func readFieldBegin() throws -> ThriftFieldHeader
    mutating func readMapBegin() throws -> (key: TType, value: TType, count: Int)
    mutating func readMapEnd() throws
    mutating func readListBegin() throws -> (element: TType, count: Int)
    mutating func readListEnd() throws
    mutating func readSetBegin() throws -> (element: TType, count: Int)
    mutating func readSetEnd() throws

    mutating func readBool() throws -> Bool
    mutating func readByte() throws -> Int8
    mutating func readI16() throws -> Int16
    mutating func readI32() throws -> Int32
    mutating func readI64() throws -> Int64
    mutating func readDouble() throws -> Double
    mutating func readBinary() throws -> [UInt8]
    mutating func readString() throws -> String
    mutating func readUUID() throws -> [UInt8]
    /// Moves past a string or binary value without copying it.
    mutating func skipBinary() throws
    /// A string-typed value read without a schema, which cannot tell `string` from `binary`:
    /// its bytes as the protocol carries them. The same as `readBinary` in binary and compact;
    /// in TJSONProtocol the text itself (a `binary` field's base64 stays base64).
    mutating func readUntypedString() throws -> [UInt8]
}

extension ThriftProtocolReader {
    /// Binary and compact messages end with their body struct: nothing to read.
    public mutating func readMessageEnd() throws {}

    public mutating func readUntypedString() throws -> [UInt8] { try readBinary() }

    /// Skips one value of `type`, nested values included, allocating nothing that grows with input.
    public mutating func skip(_ type: TType) throws {
        switch type {
        case .bool: _ = try readBool()
        case .byte: _ = try readByte()
        case .i16: _ = try readI16()
        case .i32: _ = try readI32()
        case .i64: _ = try readI64()
        case .double: _ = try readDouble()
        case .string: try skipBinary()
        case .uuid: _ = try readUUID()
        case .struct:
            try readStructBegin()
            while true {
                let field = try readFieldBegin()
                if field.type == .stop { break }
                try skip(field.type)
            }
            try readStructEnd()
        case .map:
            let header = try readMapBegin()
            for _ in 0..<header.count {
                try skip(header.key)
                try skip(header.value)
            }
            try readMapEnd()
        case .list:
            let header = try readListBegin()
            for _ in 0..<header.count { try skip(header.element) }
            try readListEnd()
        case .set:
            let header = try readSetBegin()
            for _ in 0..<header.count { try skip(header.element) }
            try readSetEnd()
        case .stop, .void:
            // Callers never pass these; a field header of such a type is rejected when read.
            break
        }
    }
}

/// Writes Thrift values in one protocol into a growing `ByteBuffer`.
public protocol ThriftProtocolWriter {
    var buffer: ByteBuffer { get set }

    mutating func writeMessageBegin(_ header: ThriftMessageHeader)
    /// Writes what closes a message after its body struct: `]` in TJSONProtocol, nothing in the
    /// binary and compact protocols (the default).
    mutating func writeMessageEnd()
    mutating func writeStructBegin()
    mutating func writeStructEnd()
    mutating func writeFieldBegin(type: TType, id: Int16)
    mutating func writeFieldStop()
    mutating func writeMapBegin(key: TType, value: TType, count: Int)
    mutating func writeListBegin(element: TType, count: Int)
    mutating func writeSetBegin(element: TType, count: Int)

    mutating func writeBool(_ value: Bool)
    mutating func writeByte(_ value: Int8)
    mutating func writeI16(_ value: Int16)
    mutating func writeI32(_ value: Int32)
    mutating func writeI64(_ value: Int64)
    mutating func writeDouble(_ value: Double)
    mutating func writeBinary(_ bytes: some Collection<UInt8>)
    mutating func writeString(_ value: String)
    /// Writes 16 bytes; the caller guarantees the count.
    mutating func writeUUID(_ bytes: [UInt8])
    /// Writes what `readUntypedString` read: the same as `writeBinary` in binary and compact,
    /// the bytes as text in TJSONProtocol.
    mutating func writeUntypedString(_ bytes: [UInt8])
}

extension ThriftProtocolWriter {
    /// Binary and compact messages end with their body struct: nothing to write.
    public mutating func writeMessageEnd() {}

    public mutating func writeUntypedString(_ bytes: [UInt8]) { writeBinary(bytes) }
}
