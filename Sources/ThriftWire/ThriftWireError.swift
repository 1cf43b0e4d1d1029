/// A malformed or hostile input found while decoding, with what was wrong and where.
///
/// `offset` counts bytes from the start of the message (or frame) being decoded; `context`
/// names the thing being read ("string length", "map header", "frame header"…).
public struct ThriftWireError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The frame header announces more bytes than the configured maximum.
        case frameTooLarge(size: Int, limit: Int)
        /// The frame header is negative (and does not look like a message either).
        case negativeFrameSize(Int32)
        /// The peer speaks another transport: an unframed message at a framed reader, or the reverse.
        case transportMismatch(String)
        /// The input ended in the middle of a value.
        case truncated(needed: Int, available: Int)
        /// A string, binary or container length below zero.
        case negativeLength(Int)
        /// A length larger than the bytes left in the frame could possibly hold.
        case lengthExceedsFrame(length: Int, remaining: Int)
        /// Structs and containers nested deeper than the limit.
        case depthExceeded(limit: Int)
        /// A type id that no protocol version defines.
        case unknownType(UInt8)
        /// A binary-protocol message header with a version other than 1.
        case badVersion(UInt32)
        /// A compact-protocol message that does not start with 0x82, or has a version other than 1.
        case badProtocolId(UInt8)
        case badCompactVersion(UInt8)
        /// A message type other than CALL, REPLY, EXCEPTION, ONEWAY.
        case unknownMessageType(UInt8)
        /// A varint longer than its type allows.
        case varintTooLong
        /// An unframed message that grows beyond the limit before it is complete.
        case messageTooLarge(size: Int, limit: Int)
        /// A THeader frame whose header does not read.
        case badTHeader(String)
        /// A THeader transform other than zlib (hmac, snappy, qlz, zstd…).
        case unsupportedTransform(id: UInt64, name: String)
        /// TJSONProtocol input that is not the JSON expected there: a wrong syntax character, a
        /// bad escape, type name, number or base64 text, a number out of range for its type.
        case badJSON(String)
    }

    public var kind: Kind
    public var offset: Int
    public var context: String

    public init(_ kind: Kind, at offset: Int, _ context: String) {
        self.kind = kind
        self.offset = offset
        self.context = context
    }

    public var description: String {
        let what: String
        switch kind {
        case let .frameTooLarge(size, limit):
            what = "frame of \(size) bytes exceeds the maximum frame size \(limit)"
        case let .negativeFrameSize(size):
            what = "negative frame size \(size)"
        case let .transportMismatch(detail):
            what = "transport mismatch: \(detail)"
        case let .truncated(needed, available):
            what = "input ends mid-value: needed \(needed) more bytes, \(available) left"
        case let .negativeLength(length):
            what = "negative length \(length)"
        case let .lengthExceedsFrame(length, remaining):
            what = "length \(length) exceeds the \(remaining) bytes left in the frame"
        case let .depthExceeded(limit):
            what = "nesting deeper than the limit of \(limit)"
        case let .unknownType(id):
            what = "unknown type id \(id)"
        case let .badVersion(word):
            what = "bad binary protocol version 0x\(String(word, radix: 16))"
        case let .badProtocolId(byte):
            what = "bad compact protocol id 0x\(String(byte, radix: 16)) (expected 0x82)"
        case let .badCompactVersion(version):
            what = "bad compact protocol version \(version) (expected 1)"
        case let .unknownMessageType(type):
            what = "unknown message type \(type)"
        case .varintTooLong:
            what = "varint longer than its type allows"
        case let .messageTooLarge(size, limit):
            what = "unframed message larger than \(limit) bytes (\(size) read so far)"
        case let .badTHeader(detail):
            what = "malformed THeader frame: \(detail)"
        case let .unsupportedTransform(id, name):
            what = "THeader transform \(id) (\(name)) is not supported: thrifttop reads and writes only zlib (1)"
        case let .badJSON(detail):
            what = "malformed TJSONProtocol: \(detail)"
        }
        return "\(what) (\(context), at byte \(offset))"
    }
}
