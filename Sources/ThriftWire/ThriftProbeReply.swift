import NIOCore

/// What the reply to a probe said: a no-argument call sent only to learn that the server
/// answers, and maybe an i32 status (a heartbeat: fb303 `getStatus`, or any named method).
///
/// Decoded straight from the reply's body, with no generic result struct in between: a pool
/// heartbeats thousands of nodes a second, and this is the whole of what it needs from each
/// reply. The struct is still checked to be well formed to its end.
public enum ThriftProbeReply: Sendable, Equatable {
    /// A REPLY. `successI32` is the result struct's field 0 when that is an i32 (fb303's
    /// `fb_status`); nil when there is no such field (a declared exception, or a method whose
    /// result is something else).
    case result(successI32: Int32?)
    /// An EXCEPTION message, with the `TApplicationException` it carries.
    case applicationException(TApplicationException)

    /// Decodes a whole reply message (for one-off callers that already hold one).
    public init(_ message: ThriftMessage) throws {
        try self.init(type: message.header.type, body: message.body, protocolKind: message.protocolKind, limits: message.limits)
    }

    /// Decodes the body of a REPLY or EXCEPTION message.
    public init(type: ThriftMessageType, body: ByteBuffer, protocolKind: ThriftProtocolKind, limits: ThriftLimits) throws {
        switch protocolKind {
        case .binary:
            var reader = BinaryProtocolReader(body, limits: limits)
            self = try Self.decode(type: type, from: &reader)
        case .compact:
            var reader = CompactProtocolReader(body, limits: limits)
            self = try Self.decode(type: type, from: &reader)
        case .json:
            var reader = JSONProtocolReader(body, limits: limits)
            self = try Self.decode(type: type, from: &reader)
        }
    }

    private static func decode<R: ThriftProtocolReader>(type: ThriftMessageType, from reader: inout R) throws -> Self {
        if type == .exception {
            return .applicationException(try TApplicationException(from: &reader))
        }
        var success: Int32?
        try reader.readStruct { reader, field in
            guard field.id == 0, field.type == .i32 else { return false }
            success = try reader.readI32()
            return true
        }
        return .result(successI32: success)
    }
}
