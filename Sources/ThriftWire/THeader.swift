import NIOCore

/// One info header of a THeader frame: a key and a value, bytes as the peer sent them (Apache
/// Thrift's libraries take any bytes; fbthrift sends UTF-8 text).
public struct THeaderInfo: Sendable, Hashable {
    public var key: [UInt8]
    public var value: [UInt8]

    public init(key: [UInt8], value: [UInt8]) {
        self.key = key
        self.value = value
    }

    public init(_ key: String, _ value: String) {
        self.init(key: Array(key.utf8), value: Array(value.utf8))
    }

    /// As text (invalid UTF-8 replaced); clean it before any output.
    public var keyText: String { String(decoding: key, as: UTF8.self) }
    public var valueText: String { String(decoding: value, as: UTF8.self) }
}

/// A THeader transform of the payload. Only zlib is read and written; the others are named
/// when a peer uses them, and refused.
public enum THeaderTransform: UInt8, Sendable, Hashable, CaseIterable {
    case zlib = 1

    /// The transform a config names ("zlib").
    public static func named(_ name: String) -> THeaderTransform? {
        name == "zlib" ? .zlib : nil
    }

    /// The names of the transform ids that THeader implementations define.
    static func name(of id: UInt64) -> String {
        switch id {
        case 1: "zlib"
        case 2: "hmac"
        case 3: "snappy"
        case 4: "qlz"
        case 5: "zstd"
        default: "unknown"
        }
    }
}

/// What a THeader frame says besides its payload (Apache Thrift's `doc/specs/HeaderFormat.md`):
///
///     [i32 length][0x0FFF][u16 flags][i32 seqid][u16 header words][header][payload]
///     header: varint protocol id, varint transform count, transform ids, info headers
///             (varint type 1 = key/value: varint count, then varint-length keys and values),
///             zero padding to a multiple of 4 bytes
///
/// The payload is one message in `protocolKind`, after the transforms (zlib) are undone.
public struct THeaderMetadata: Sendable, Equatable {
    public var flags: UInt16
    public var sequenceID: Int32
    public var protocolKind: ThriftProtocolKind
    public var transforms: [THeaderTransform]
    public var infoHeaders: [THeaderInfo]

    public init(flags: UInt16 = 0, sequenceID: Int32 = 0, protocolKind: ThriftProtocolKind, transforms: [THeaderTransform] = [],
                infoHeaders: [THeaderInfo] = []) {
        self.flags = flags
        self.sequenceID = sequenceID
        self.protocolKind = protocolKind
        self.transforms = transforms
        self.infoHeaders = infoHeaders
    }

    /// The second word of a THeader frame starts with this.
    public static let magic: UInt16 = 0x0FFF
    /// Transforms taken on one frame.
    public static let maxTransforms = 2
    /// The header's largest size in bytes (its length is a 16-bit count of 4-byte words), and
    /// the most a frame's info headers may take, so that headers passed on always fit.
    static let maxHeaderBytes = 0xFFFF * 4
    public static let maxInfoHeaderBytes = 32_768

    /// THeader's protocol ids.
    static func protocolID(_ kind: ThriftProtocolKind) -> UInt8 {
        switch kind {
        case .binary: 0
        case .compact: 2
        case .json: 1
        }
    }
}

/// Reads and writes THeader frames. Every length and count is checked against the bytes left
/// in the frame before anything is allocated, and a zlib payload may not inflate beyond the
/// frame size limit.
public enum THeaderCodec {
    /// Reads one frame, as cut by `ThriftFrameDecoder` (without its 4-byte length): the metadata
    /// and the payload, transforms undone.
    public static func decode(_ frame: ByteBuffer, limits: ThriftLimits = .default) throws -> (metadata: THeaderMetadata, payload: ByteBuffer) {
        var cursor = ByteCursor(frame, limits: limits)
        let magic: UInt16 = try cursor.readInteger("THeader magic")
        guard magic == THeaderMetadata.magic else {
            throw cursor.error(.badTHeader("the frame does not start with the THeader magic 0x0FFF (0x\(String(magic, radix: 16)))"), "THeader magic")
        }
        let flags: UInt16 = try cursor.readInteger("THeader flags")
        let sequenceID: Int32 = try cursor.readInteger("THeader seqid")
        let words: UInt16 = try cursor.readInteger("THeader header size")
        let headerLength = Int(words) * 4
        guard headerLength <= cursor.remaining else {
            throw cursor.error(.lengthExceedsFrame(length: headerLength, remaining: cursor.remaining), "THeader header size")
        }
        // The header is read from its own slice, so no varint or string can run past its end.
        var header = ByteCursor(cursor.buffer.readSlice(length: headerLength)!, limits: limits)
        let headerStart = 14
        func fail(_ detail: String) -> ThriftWireError {
            ThriftWireError(.badTHeader(detail), at: headerStart + header.offset, "THeader header")
        }
        let protocolID = try varint(&header, "THeader protocol id")
        let protocolKind: ThriftProtocolKind
        switch protocolID {
        case 0: protocolKind = .binary
        case 2: protocolKind = .compact
        case 1: protocolKind = .json
        default: throw fail("unknown protocol id \(protocolID)")
        }
        let transformCount = try varint(&header, "THeader transform count")
        // zlib twice is no client's choice, and each layer is a whole inflate.
        guard transformCount <= UInt64(THeaderMetadata.maxTransforms) else {
            throw fail("\(transformCount) transforms; at most \(THeaderMetadata.maxTransforms) are taken")
        }
        var transforms: [THeaderTransform] = []
        for _ in 0..<transformCount {
            let id = try varint(&header, "THeader transform id")
            guard let transform = THeaderTransform(rawValue: UInt8(truncatingIfNeeded: id)), id <= 0xFF else {
                throw ThriftWireError(.unsupportedTransform(id: id, name: THeaderTransform.name(of: id)), at: headerStart + header.offset, "THeader transforms")
            }
            transforms.append(transform)
        }
        var infoHeaders: [THeaderInfo] = []
        var infoBytes = 0
        infoLoop: while header.remaining > 0 {
            let type = try varint(&header, "THeader info header type")
            switch type {
            case 0:
                break infoLoop  // padding
            case 1, 2:
                // 1: key/value; 2: fbthrift's persistent key/value, the same layout.
                let count = try varint(&header, "THeader info header count")
                guard count <= UInt64(header.remaining / 2) else {
                    throw fail("\(count) info headers in \(header.remaining) bytes")
                }
                for _ in 0..<count {
                    let key = try bytes(&header, "THeader info header key")
                    let value = try bytes(&header, "THeader info header value")
                    infoBytes += key.count + value.count
                    guard infoBytes <= THeaderMetadata.maxInfoHeaderBytes else {
                        throw fail("info headers over \(THeaderMetadata.maxInfoHeaderBytes) bytes")
                    }
                    infoHeaders.append(THeaderInfo(key: key, value: value))
                }
            default:
                break infoLoop  // as Apache Thrift's readers do: an unknown kind ends the info headers
            }
        }
        var payload = cursor.buffer
        for transform in transforms.reversed() {
            switch transform {
            case .zlib:
                do {
                    payload = try Zlib.decompress(payload, limit: limits.maxFrameSize)
                } catch let .tooLarge(limit) {
                    throw ThriftWireError(.frameTooLarge(size: limit + 1, limit: limit), at: frame.readableBytes - payload.readableBytes, "THeader zlib payload")
                } catch let .broken(detail) {
                    throw ThriftWireError(.badTHeader("the zlib payload does not inflate: \(detail)"), at: frame.readableBytes - payload.readableBytes, "THeader zlib payload")
                }
            }
        }
        let metadata = THeaderMetadata(flags: flags, sequenceID: sequenceID, protocolKind: protocolKind,
                                       transforms: transforms, infoHeaders: infoHeaders)
        return (metadata, payload)
    }

    /// A whole frame, length first: `payload` (one message in `metadata.protocolKind`) with the
    /// transforms applied, under the metadata's header. Bytes as Apache Thrift's writers lay them out.
    /// Info headers that would not fit the header's 16-bit size (more than decoding takes) are
    /// left out.
    public static func encode(_ payload: ByteBuffer, metadata: THeaderMetadata, allocator: ByteBufferAllocator = ByteBufferAllocator()) -> ByteBuffer {
        let infoBytes = metadata.infoHeaders.reduce(0) { $0 + $1.key.count + $1.value.count + 20 }
        if infoBytes > THeaderMetadata.maxHeaderBytes - 64 {
            var trimmed = metadata
            trimmed.infoHeaders = []
            return encode(payload, metadata: trimmed, allocator: allocator)
        }
        var body = payload
        for transform in metadata.transforms {
            switch transform {
            case .zlib: body = Zlib.compress(body)
            }
        }
        var header = allocator.buffer(capacity: 16)
        writeVarint(&header, UInt64(THeaderMetadata.protocolID(metadata.protocolKind)))
        writeVarint(&header, UInt64(metadata.transforms.count))
        for transform in metadata.transforms { writeVarint(&header, UInt64(transform.rawValue)) }
        if !metadata.infoHeaders.isEmpty {
            writeVarint(&header, 1)
            writeVarint(&header, UInt64(metadata.infoHeaders.count))
            for info in metadata.infoHeaders {
                writeVarint(&header, UInt64(info.key.count))
                header.writeBytes(info.key)
                writeVarint(&header, UInt64(info.value.count))
                header.writeBytes(info.value)
            }
        }
        header.writeRepeatingByte(0, count: (4 - header.readableBytes % 4) % 4)
        var frame = allocator.buffer(capacity: 14 + header.readableBytes + body.readableBytes)
        frame.writeInteger(Int32(10 + header.readableBytes + body.readableBytes))
        frame.writeInteger(THeaderMetadata.magic)
        frame.writeInteger(metadata.flags)
        frame.writeInteger(metadata.sequenceID)
        frame.writeInteger(UInt16(header.readableBytes / 4))
        frame.writeBuffer(&header)
        frame.writeImmutableBuffer(body)
        return frame
    }

    /// The message a frame carries, in the protocol the frame names, with its info headers;
    /// and the frame's header (its info headers left with the message).
    public static func decodeMessage(_ frame: ByteBuffer, limits: ThriftLimits = .default) throws -> (message: ThriftMessage, header: THeaderMetadata) {
        var (metadata, payload) = try decode(frame, limits: limits)
        var message = try ThriftMessage(decoding: payload, protocolKind: metadata.protocolKind, limits: limits)
        message.infoHeaders = metadata.infoHeaders
        metadata.infoHeaders = []
        return (message, metadata)
    }

    /// Whether a frame (without its length) starts with the THeader magic.
    public static func isTHeader(_ frame: ByteBuffer) -> Bool {
        frame.getInteger(at: frame.readerIndex, as: UInt16.self) == THeaderMetadata.magic
    }

    private static func varint(_ cursor: inout ByteCursor, _ context: String) throws -> UInt64 {
        var result: UInt64 = 0
        for shift in stride(from: UInt64(0), to: 64, by: 7) {
            let byte: UInt8 = try cursor.readInteger(context)
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
        }
        throw cursor.error(.varintTooLong, context)
    }

    private static func bytes(_ cursor: inout ByteCursor, _ context: String) throws -> [UInt8] {
        let length = try varint(&cursor, context)
        guard length <= UInt64(cursor.remaining) else {
            throw cursor.error(.lengthExceedsFrame(length: Int(clamping: length), remaining: cursor.remaining), context)
        }
        return try cursor.readBytes(Int(length), context)
    }

    private static func writeVarint(_ buffer: inout ByteBuffer, _ value: UInt64) {
        var value = value
        while value >= 0x80 {
            buffer.writeInteger(UInt8(value & 0x7F | 0x80))
            value >>= 7
        }
        buffer.writeInteger(UInt8(value))
    }
}
