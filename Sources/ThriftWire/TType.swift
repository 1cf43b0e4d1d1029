/// The Thrift type ids as they appear in the binary protocol (field headers, container headers).
///
/// The compact protocol has its own nibble codes; `CompactProtocol` maps between them.
public enum TType: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case stop = 0
    case void = 1
    case bool = 2
    case byte = 3
    case double = 4
    case i16 = 6
    case i32 = 8
    case i64 = 10
    case string = 11
    case `struct` = 12
    case map = 13
    case set = 14
    case list = 15
    case uuid = 16

    public var description: String {
        switch self {
        case .stop: "stop"
        case .void: "void"
        case .bool: "bool"
        case .byte: "byte"
        case .double: "double"
        case .i16: "i16"
        case .i32: "i32"
        case .i64: "i64"
        case .string: "string"
        case .struct: "struct"
        case .map: "map"
        case .set: "set"
        case .list: "list"
        case .uuid: "uuid"
        }
    }

    /// Whether a value of this type may appear as a field, map key/value or element.
    var isValueType: Bool { self != .stop && self != .void }
}

/// Which Thrift protocol encodes the messages on a connection.
public enum ThriftProtocolKind: String, Sendable, CaseIterable, Codable {
    case binary
    case compact
    /// TJSONProtocol: `[1,"name",type,seqid,{…}]`.
    case json

    /// The protocol a message starts in, from its first two bytes: `80 01` strict binary,
    /// `82 x1` compact, `[1` JSON; nil for none of them (old non-strict binary starts with a
    /// name length, which only a listener told so can take).
    public static func of(_ first: UInt8, _ second: UInt8) -> ThriftProtocolKind? {
        if first == 0x80 && second == 0x01 { return .binary }
        if first == CompactProtocolConstants.protocolID && second & CompactProtocolConstants.versionMask == 1 { return .compact }
        if first == UInt8(ascii: "[") && second == UInt8(ascii: "1") { return .json }
        return nil
    }
}

/// How messages are delimited on the byte stream.
public enum ThriftTransportKind: String, Sendable, CaseIterable, Codable {
    /// Each message is preceded by a 4-byte big-endian length (TFramedTransport).
    case framed
    /// Messages follow each other with no delimiter (TBufferedTransport); the reader parses them.
    case unframed
    /// Each message in a THeader frame: a frame length, the magic 0x0FFF, a seqid, info headers,
    /// optionally zlib (Apache Thrift's THeaderTransport, fbthrift's default).
    case header
    /// Each call an HTTP/1.1 POST whose body is the message, the reply the response's body
    /// (THttpClient, THttpServer).
    case http
}
