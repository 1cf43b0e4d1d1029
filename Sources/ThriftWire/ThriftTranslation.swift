import NIOCore

/// Re-encodes a struct from one protocol into the other (binary ↔ compact), for a proxy whose
/// client and server speak different protocols. The only path that decodes a payload's values:
/// a proxy between peers of the same protocol passes bytes through.
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
        }
    }
}
