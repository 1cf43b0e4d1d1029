import NIOCore

/// Re-encodes a struct from one protocol into another (binary, compact, JSON), for a proxy whose
/// client and server speak different protocols. The only path that decodes a payload's values:
/// a proxy between peers of the same protocol passes bytes through.
///
/// Without the IDL, TJSONProtocol's strings cannot be told from its base64 `binary`: a string
/// value is carried as text, so a `binary` field crossing between JSON and the other protocols
/// arrives as its base64 text (or is base64-read from text). Text fields translate exactly.
public enum ThriftTranslation {
    /// The struct at the start of `body`, written in `target`. Limits apply as for any decode.
    public static func translateStruct(_ body: ByteBuffer, from source: ThriftProtocolKind, to target: ThriftProtocolKind,
                                       limits: ThriftLimits = .default) throws -> ByteBuffer {
        guard source != target else { return body }
        let value: ThriftValue
        switch source {
        case .binary:
            var reader = BinaryProtocolReader(body, limits: limits)
            value = try reader.readValue(.struct)
        case .compact:
            var reader = CompactProtocolReader(body, limits: limits)
            value = try reader.readValue(.struct)
        case .json:
            var reader = JSONProtocolReader(body, limits: limits)
            value = try reader.readValue(.struct)
        }
        switch target {
        case .binary:
            var writer = BinaryProtocolWriter(buffer: ByteBuffer())
            writer.buffer.reserveCapacity(body.readableBytes + body.readableBytes / 2)
            writer.writeValue(value)
            return writer.buffer
        case .compact:
            var writer = CompactProtocolWriter(buffer: ByteBuffer())
            writer.buffer.reserveCapacity(body.readableBytes)
            writer.writeValue(value)
            return writer.buffer
        case .json:
            var writer = JSONProtocolWriter(buffer: ByteBuffer())
            writer.buffer.reserveCapacity(body.readableBytes * 3)
            writer.writeValue(value)
            return writer.buffer
        }
    }
}
