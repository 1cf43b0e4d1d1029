/// The exception every Thrift stack sends for failures outside the IDL: unknown method, internal
/// error, protocol error… It travels as the body of an EXCEPTION message.
public struct TApplicationException: Error, ThriftStructFieldValue, Equatable, CustomStringConvertible {
    /// The type codes 0–10; values outside that range are kept as `.other(n)`.
    public enum Kind: Sendable, Equatable, Hashable, CustomStringConvertible {
        case unknown
        case unknownMethod
        case invalidMessageType
        case wrongMethodName
        case badSequenceID
        case missingResult
        case internalError
        case protocolError
        case invalidTransform
        case invalidProtocol
        case unsupportedClientType
        case other(Int32)

        public init(code: Int32) {
            switch code {
            case 0: self = .unknown
            case 1: self = .unknownMethod
            case 2: self = .invalidMessageType
            case 3: self = .wrongMethodName
            case 4: self = .badSequenceID
            case 5: self = .missingResult
            case 6: self = .internalError
            case 7: self = .protocolError
            case 8: self = .invalidTransform
            case 9: self = .invalidProtocol
            case 10: self = .unsupportedClientType
            default: self = .other(code)
            }
        }

        public var code: Int32 {
            switch self {
            case .unknown: 0
            case .unknownMethod: 1
            case .invalidMessageType: 2
            case .wrongMethodName: 3
            case .badSequenceID: 4
            case .missingResult: 5
            case .internalError: 6
            case .protocolError: 7
            case .invalidTransform: 8
            case .invalidProtocol: 9
            case .unsupportedClientType: 10
            case let .other(code): code
            }
        }

        /// The name Apache Thrift uses for the code, e.g. `INTERNAL_ERROR`.
        public var description: String {
            switch self {
            case .unknown: "UNKNOWN"
            case .unknownMethod: "UNKNOWN_METHOD"
            case .invalidMessageType: "INVALID_MESSAGE_TYPE"
            case .wrongMethodName: "WRONG_METHOD_NAME"
            case .badSequenceID: "BAD_SEQUENCE_ID"
            case .missingResult: "MISSING_RESULT"
            case .internalError: "INTERNAL_ERROR"
            case .protocolError: "PROTOCOL_ERROR"
            case .invalidTransform: "INVALID_TRANSFORM"
            case .invalidProtocol: "INVALID_PROTOCOL"
            case .unsupportedClientType: "UNSUPPORTED_CLIENT_TYPE"
            case let .other(code): "TYPE_\(code)"
            }
        }
    }

    public var message: String?
    public var kind: Kind

    public init(_ kind: Kind, message: String? = nil) {
        self.kind = kind
        self.message = message
    }

    public init<R: ThriftProtocolReader>(from reader: inout R) throws {
        var message: String?
        var kind = Kind.unknown
        try reader.readStruct { r, field in
            switch field.id {
            case 1: message = try r.readField(field)
            case 2: if let code: Int32 = try r.readField(field) { kind = Kind(code: code) }
            default: return false
            }
            return true
        }
        self.message = message
        self.kind = kind
    }

    /// Field order as libthrift writes it: message (1), then type (2).
    public func write<W: ThriftProtocolWriter>(to writer: inout W) {
        writer.writeStruct { w in
            w.writeField(1, message)
            w.writeField(2, kind.code)
        }
    }

    public var description: String {
        if let message, !message.isEmpty { return "\(kind): \(message)" }
        return "\(kind)"
    }
}
