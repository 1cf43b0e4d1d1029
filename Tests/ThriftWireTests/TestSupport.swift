import NIOCore
@testable import ThriftWire

/// Bytes from a hex dump like "00 00 00 16 80 01", whitespace and newlines ignored.
func hexBytes(_ text: String) -> [UInt8] {
    let digits = text.filter { $0.isHexDigit }
    precondition(digits.count % 2 == 0, "odd number of hex digits")
    var bytes: [UInt8] = []
    var index = digits.startIndex
    while index < digits.endIndex {
        let next = digits.index(index, offsetBy: 2)
        bytes.append(UInt8(digits[index..<next], radix: 16)!)
        index = next
    }
    return bytes
}

func buffer(_ bytes: [UInt8]) -> ByteBuffer { ByteBuffer(bytes: bytes) }

/// Frames a message the way TFramedTransport does.
func framed(_ message: ByteBuffer) -> ByteBuffer {
    var out = ByteBuffer()
    out.writeInteger(Int32(message.readableBytes))
    out.writeImmutableBuffer(message)
    return out
}

/// The error kind a throwing expression produced, for `#expect(errorKind { ... } == .x)`.
func wireErrorKind(_ body: () throws -> Void) -> ThriftWireError.Kind? {
    do {
        try body()
        return nil
    } catch let error as ThriftWireError {
        return error.kind
    } catch {
        return nil
    }
}

/// Decodes a body with the reader of `kind`.
func decode<T: ThriftStruct>(_ type: T.Type, _ bytes: ByteBuffer, _ kind: ThriftProtocolKind, limits: ThriftLimits = .default) throws -> T {
    try ThriftMessage(header: ThriftMessageHeader(name: "", type: .reply, sequenceID: 0), body: bytes, protocolKind: kind, limits: limits)
        .decodeBody(as: T.self)
}

/// A struct read without a schema.
struct AnyStruct: ThriftStruct, Equatable {
    var value: ThriftValue
    init(_ value: ThriftValue) { self.value = value }
    init<R: ThriftProtocolReader>(from reader: inout R) throws { value = try reader.readValue(.struct) }
    func write<W: ThriftProtocolWriter>(to writer: inout W) { writer.writeValue(value) }
}
