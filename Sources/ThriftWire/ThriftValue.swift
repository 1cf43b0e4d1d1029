/// Any Thrift value, held dynamically: what a decoder sees when it does not know the schema.
///
/// Used to carry unknown fields, by tests that round-trip random values, and by tools that print
/// a reply they have no type for.
public indirect enum ThriftValue: Sendable, Equatable {
    case bool(Bool)
    case byte(Int8)
    case i16(Int16)
    case i32(Int32)
    case i64(Int64)
    case double(Double)
    case binary([UInt8])
    case uuid([UInt8])
    case `struct`([ThriftField])
    case map(key: TType, value: TType, entries: [ThriftMapEntry])
    case set(element: TType, elements: [ThriftValue])
    case list(element: TType, elements: [ThriftValue])

    public var type: TType {
        switch self {
        case .bool: .bool
        case .byte: .byte
        case .i16: .i16
        case .i32: .i32
        case .i64: .i64
        case .double: .double
        case .binary: .string
        case .uuid: .uuid
        case .struct: .struct
        case .map: .map
        case .set: .set
        case .list: .list
        }
    }
}

/// One field of a dynamically held struct.
public struct ThriftField: Sendable, Equatable {
    public var id: Int16
    public var value: ThriftValue

    public init(id: Int16, value: ThriftValue) {
        self.id = id
        self.value = value
    }
}

/// One key/value pair of a dynamically held map.
public struct ThriftMapEntry: Sendable, Equatable {
    public var key: ThriftValue
    public var value: ThriftValue

    public init(key: ThriftValue, value: ThriftValue) {
        self.key = key
        self.value = value
    }
}

extension ThriftProtocolReader {
    /// Reads one value of `type` into a `ThriftValue`.
    public mutating func readValue(_ type: TType) throws -> ThriftValue {
        switch type {
        case .bool: return .bool(try readBool())
        case .byte: return .byte(try readByte())
        case .i16: return .i16(try readI16())
        case .i32: return .i32(try readI32())
        case .i64: return .i64(try readI64())
        case .double: return .double(try readDouble())
        case .string: return .binary(try readUntypedString())
        case .uuid: return .uuid(try readUUID())
        case .struct:
            try readStructBegin()
            var fields: [ThriftField] = []
            while true {
                let header = try readFieldBegin()
                if header.type == .stop { break }
                fields.append(ThriftField(id: header.id, value: try readValue(header.type)))
            }
            try readStructEnd()
            return .struct(fields)
        case .map:
            let header = try readMapBegin()
            var entries: [ThriftMapEntry] = []
            entries.reserveCapacity(header.count)
            for _ in 0..<header.count {
                let key = try readValue(header.key)
                entries.append(ThriftMapEntry(key: key, value: try readValue(header.value)))
            }
            try readMapEnd()
            return .map(key: header.key, value: header.value, entries: entries)
        case .set:
            let header = try readSetBegin()
            let elements = try (0..<header.count).map { _ in try readValue(header.element) }
            try readSetEnd()
            return .set(element: header.element, elements: elements)
        case .list:
            let header = try readListBegin()
            let elements = try (0..<header.count).map { _ in try readValue(header.element) }
            try readListEnd()
            return .list(element: header.element, elements: elements)
        case .stop, .void:
            preconditionFailure("readValue(\(type)): not a value type")
        }
    }
}

extension ThriftProtocolWriter {
    /// Writes a dynamically held value. Container elements must match their declared types.
    public mutating func writeValue(_ value: ThriftValue) {
        switch value {
        case let .bool(v): writeBool(v)
        case let .byte(v): writeByte(v)
        case let .i16(v): writeI16(v)
        case let .i32(v): writeI32(v)
        case let .i64(v): writeI64(v)
        case let .double(v): writeDouble(v)
        case let .binary(v): writeUntypedString(v)
        case let .uuid(v): writeUUID(v)
        case let .struct(fields):
            writeStructBegin()
            for field in fields {
                writeFieldBegin(type: field.value.type, id: field.id)
                writeValue(field.value)
            }
            writeFieldStop()
            writeStructEnd()
        case let .map(key, valueType, entries):
            writeMapBegin(key: key, value: valueType, count: entries.count)
            for entry in entries {
                writeValue(entry.key)
                writeValue(entry.value)
            }
        case let .set(element, elements):
            writeSetBegin(element: element, count: elements.count)
            for e in elements { writeValue(e) }
        case let .list(element, elements):
            writeListBegin(element: element, count: elements.count)
            for e in elements { writeValue(e) }
        }
    }
}
