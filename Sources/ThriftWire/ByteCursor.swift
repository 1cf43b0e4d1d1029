import NIOCore

/// The shared bounds-checked core of both protocol readers: a `ByteBuffer` being consumed, the
/// offset it started at (for error positions) and the current nesting depth.
struct ByteCursor {
    var buffer: ByteBuffer
    let startIndex: Int
    let limits: ThriftLimits
    /// Set when parsing an unframed stream: bytes not yet arrived may still come, up to the
    /// message size limit. A length beyond the buffer but within the limit is then `.truncated`
    /// (wait for more), a length beyond the limit `.messageTooLarge`.
    let streaming: Bool
    var depth = 0

    init(_ buffer: ByteBuffer, limits: ThriftLimits, streaming: Bool = false) {
        self.buffer = buffer
        self.startIndex = buffer.readerIndex
        self.limits = limits
        self.streaming = streaming
    }

    var offset: Int { buffer.readerIndex - startIndex }
    var remaining: Int { buffer.readableBytes }

    func error(_ kind: ThriftWireError.Kind, _ context: String) -> ThriftWireError {
        ThriftWireError(kind, at: offset, context)
    }

    func need(_ count: Int, _ context: @autoclosure () -> String) throws {
        if remaining < count {
            throw error(.truncated(needed: count, available: remaining), context())
        }
    }

    mutating func readInteger<T: FixedWidthInteger>(
        as: T.Type = T.self, endianness: Endianness = .big, _ context: @autoclosure () -> String
    ) throws -> T {
        guard let value = buffer.readInteger(endianness: endianness, as: T.self) else {
            throw error(.truncated(needed: MemoryLayout<T>.size, available: remaining), context())
        }
        return value
    }

    /// Validates a length read off the wire against what is left, before anything is allocated.
    /// `minimumElementSize` lets containers reject counts no remaining bytes could hold.
    func checkLength(_ length: Int, minimumElementSize: Int = 1, _ context: @autoclosure () -> String) throws {
        if length < 0 {
            throw error(.negativeLength(length), context())
        }
        let (bytes, overflow) = length.multipliedReportingOverflow(by: minimumElementSize)
        if overflow || bytes > remaining {
            guard streaming else {
                throw error(.lengthExceedsFrame(length: length, remaining: remaining), context())
            }
            let room = limits.maxFrameSize - offset
            if overflow || bytes > room {
                throw error(.messageTooLarge(size: offset + (overflow ? Int.max / 2 : bytes), limit: limits.maxFrameSize), context())
            }
            throw error(.truncated(needed: bytes, available: remaining), context())
        }
    }

    mutating func readBytes(_ length: Int, _ context: @autoclosure () -> String) throws -> [UInt8] {
        try checkLength(length, context())
        return buffer.readBytes(length: length)!
    }

    mutating func skipBytes(_ length: Int, _ context: @autoclosure () -> String) throws {
        try checkLength(length, context())
        buffer.moveReaderIndex(forwardBy: length)
    }

    mutating func readString(_ length: Int, _ context: @autoclosure () -> String) throws -> String {
        try checkLength(length, context())
        // Lossy on invalid UTF-8: text from servers is sanitized where it enters the pool.
        return buffer.readString(length: length)!
    }

    mutating func enter(_ context: @autoclosure () -> String) throws {
        if depth >= limits.maxDepth {
            throw error(.depthExceeded(limit: limits.maxDepth), context())
        }
        depth += 1
    }

    mutating func leave() {
        assert(depth > 0, "unbalanced *End call")
        depth -= 1
    }

    func valueType(_ raw: UInt8, _ context: @autoclosure () -> String) throws -> TType {
        guard let type = TType(rawValue: raw), type.isValueType else {
            throw error(.unknownType(raw), context())
        }
        return type
    }
}
