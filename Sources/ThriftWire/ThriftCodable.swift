import NIOCore

/// A Thrift struct (args, result, exception or plain struct) that can encode and decode itself.
public protocol ThriftStruct: Sendable {
    init<R: ThriftProtocolReader>(from reader: inout R) throws
    func write<W: ThriftProtocolWriter>(to writer: inout W)
}

/// A value that can stand in a field, a container element or a map key: it knows its `TType`.
public protocol ThriftFieldValue: Sendable {
    static var thriftType: TType { get }
    static func read<R: ThriftProtocolReader>(from reader: inout R) throws -> Self
    func write<W: ThriftProtocolWriter>(to writer: inout W)
}

extension Bool: ThriftFieldValue {
    public static var thriftType: TType { .bool }
    public static func read<R: ThriftProtocolReader>(from reader: inout R) throws -> Bool { try reader.readBool() }
    public func write<W: ThriftProtocolWriter>(to writer: inout W) { writer.writeBool(self) }
}

extension Int8: ThriftFieldValue {
    public static var thriftType: TType { .byte }
    public static func read<R: ThriftProtocolReader>(from reader: inout R) throws -> Int8 { try reader.readByte() }
    public func write<W: ThriftProtocolWriter>(to writer: inout W) { writer.writeByte(self) }
}

extension Int16: ThriftFieldValue {
    public static var thriftType: TType { .i16 }
    public static func read<R: ThriftProtocolReader>(from reader: inout R) throws -> Int16 { try reader.readI16() }
    public func write<W: ThriftProtocolWriter>(to writer: inout W) { writer.writeI16(self) }
}

extension Int32: ThriftFieldValue {
    public static var thriftType: TType { .i32 }
    public static func read<R: ThriftProtocolReader>(from reader: inout R) throws -> Int32 { try reader.readI32() }
    public func write<W: ThriftProtocolWriter>(to writer: inout W) { writer.writeI32(self) }
}

extension Int64: ThriftFieldValue {
    public static var thriftType: TType { .i64 }
    public static func read<R: ThriftProtocolReader>(from reader: inout R) throws -> Int64 { try reader.readI64() }
    public func write<W: ThriftProtocolWriter>(to writer: inout W) { writer.writeI64(self) }
}

extension Double: ThriftFieldValue {
    public static var thriftType: TType { .double }
    public static func read<R: ThriftProtocolReader>(from reader: inout R) throws -> Double { try reader.readDouble() }
    public func write<W: ThriftProtocolWriter>(to writer: inout W) { writer.writeDouble(self) }
}

extension String: ThriftFieldValue {
    public static var thriftType: TType { .string }
    public static func read<R: ThriftProtocolReader>(from reader: inout R) throws -> String { try reader.readString() }
    public func write<W: ThriftProtocolWriter>(to writer: inout W) { writer.writeString(self) }
}

/// `binary` in IDL: raw bytes, encoded like a string.
extension Array: ThriftFieldValue where Element == UInt8 {
    public static var thriftType: TType { .string }
    public static func read<R: ThriftProtocolReader>(from reader: inout R) throws -> [UInt8] { try reader.readBinary() }
    public func write<W: ThriftProtocolWriter>(to writer: inout W) { writer.writeBinary(self) }
}

extension Dictionary: ThriftFieldValue where Key: ThriftFieldValue, Value: ThriftFieldValue {
    public static var thriftType: TType { .map }

    public static func read<R: ThriftProtocolReader>(from reader: inout R) throws -> [Key: Value] {
        let header = try reader.readMapBegin()
        var result: [Key: Value] = [:]
        result.reserveCapacity(header.count)
        for _ in 0..<header.count {
            // A peer may declare other element types than ours; skip what does not fit.
            guard header.key == Key.thriftType, header.value == Value.thriftType else {
                try reader.skip(header.key)
                try reader.skip(header.value)
                continue
            }
            let key = try Key.read(from: &reader)
            result[key] = try Value.read(from: &reader)
        }
        try reader.readMapEnd()
        return result
    }

    public func write<W: ThriftProtocolWriter>(to writer: inout W) {
        writer.writeMapBegin(key: Key.thriftType, value: Value.thriftType, count: count)
        // Sorted keys where possible would be nicer to read, but Thrift maps are unordered.
        for (key, value) in self {
            key.write(to: &writer)
            value.write(to: &writer)
        }
    }
}

/// A struct may stand as a field value too.
public protocol ThriftStructFieldValue: ThriftStruct, ThriftFieldValue {}

extension ThriftStructFieldValue {
    public static var thriftType: TType { .struct }
    public static func read<R: ThriftProtocolReader>(from reader: inout R) throws -> Self { try Self(from: &reader) }
}

extension ThriftProtocolReader {
    /// Reads a struct field by field: `body` gets each field header and must either read the
    /// value or return `false` to have it skipped. Fields of an unexpected type are the body's
    /// to reject; `readField` below does that for typed fields.
    public mutating func readStruct(_ body: (inout Self, ThriftFieldHeader) throws -> Bool) throws {
        try readStructBegin()
        while true {
            let header = try readFieldBegin()
            if header.type == .stop { break }
            if try !body(&self, header) {
                try skip(header.type)
            }
        }
        try readStructEnd()
    }

    /// Reads a field's value if its wire type matches `T`, else skips it (returns nil).
    public mutating func readField<T: ThriftFieldValue>(_ header: ThriftFieldHeader, as: T.Type = T.self) throws -> T? {
        guard header.type == T.thriftType else {
            try skip(header.type)
            return nil
        }
        return try T.read(from: &self)
    }
}

extension ThriftProtocolWriter {
    public mutating func writeField<T: ThriftFieldValue>(_ id: Int16, _ value: T) {
        writeFieldBegin(type: T.thriftType, id: id)
        value.write(to: &self)
    }

    public mutating func writeField<T: ThriftFieldValue>(_ id: Int16, _ value: T?) {
        if let value { writeField(id, value) }
    }

    /// Writes a struct: `writeStructBegin`, the fields `body` writes, the stop byte, `writeStructEnd`.
    public mutating func writeStruct(_ body: (inout Self) -> Void) {
        writeStructBegin()
        body(&self)
        writeFieldStop()
        writeStructEnd()
    }
}

/// A struct with no fields: the args of every fb303 method but `getCounter`.
public struct ThriftEmptyStruct: ThriftStruct, Equatable {
    public init() {}
    public init<R: ThriftProtocolReader>(from reader: inout R) throws {
        try reader.readStruct { _, _ in false }
    }
    public func write<W: ThriftProtocolWriter>(to writer: inout W) { writer.writeStruct { _ in } }

    /// The empty struct encoded in binary or compact — one stop byte, the same in both: the args
    /// of every no-argument call (fb303's, and heartbeats on a named method).
    public static let encoded = ByteBuffer(bytes: [0])
    private static let jsonEncoded = ByteBuffer(string: "{}")

    /// The empty struct in `protocolKind`.
    public static func encoded(in protocolKind: ThriftProtocolKind) -> ByteBuffer {
        switch protocolKind {
        case .binary, .compact: encoded
        case .json: jsonEncoded
        }
    }
}

/// A method result with only a `success` field (id 0) and no declared exceptions.
public struct ThriftSuccessResult<Success: ThriftFieldValue>: ThriftStruct {
    public var success: Success?

    public init(success: Success?) { self.success = success }

    public init<R: ThriftProtocolReader>(from reader: inout R) throws {
        var success: Success?
        try reader.readStruct { r, field in
            guard field.id == 0 else { return false }
            success = try r.readField(field)
            return true
        }
        self.success = success
    }

    public func write<W: ThriftProtocolWriter>(to writer: inout W) {
        writer.writeStruct { $0.writeField(0, success) }
    }
}
