import CZlib
import NIOCore

/// zlib streams (RFC 1950) as THeader's zlib transform uses them: what Python's `zlib.compress`
/// writes at its default level, and what it reads.
enum Zlib {
    /// `bytes` compressed at zlib's default level, as `zlib.compress(bytes)` writes them.
    static func compress(_ bytes: ByteBuffer) -> ByteBuffer {
        var stream = z_stream()
        guard thrifttop_deflateInit(&stream, Z_DEFAULT_COMPRESSION) == Z_OK else {
            preconditionFailure("zlib: deflateInit failed (out of memory)")
        }
        defer { deflateEnd(&stream) }
        let bound = Int(deflateBound(&stream, uLong(bytes.readableBytes)))
        var output = ByteBuffer()
        output.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { out in
            bytes.withUnsafeReadableBytes { input in
                stream.next_in = UnsafeMutablePointer(mutating: input.bindMemory(to: Bytef.self).baseAddress)
                stream.avail_in = uInt(input.count)
                stream.next_out = out.bindMemory(to: Bytef.self).baseAddress
                stream.avail_out = uInt(out.count)
                let status = deflate(&stream, Z_FINISH)
                precondition(status == Z_STREAM_END, "zlib: deflate within deflateBound did not finish")
                return out.count - Int(stream.avail_out)
            }
        }
        return output
    }

    /// Decompresses a zlib stream, refusing output beyond `limit` bytes before it is produced
    /// (a small frame must not inflate into gigabytes).
    static func decompress(_ bytes: ByteBuffer, limit: Int) throws(ZlibError) -> ByteBuffer {
        var stream = z_stream()
        guard thrifttop_inflateInit(&stream) == Z_OK else { throw .broken("inflateInit failed") }
        defer { inflateEnd(&stream) }
        var output = ByteBuffer()
        return try bytes.withUnsafeReadableBytes { (input) throws(ZlibError) -> ByteBuffer in
            stream.next_in = UnsafeMutablePointer(mutating: input.bindMemory(to: Bytef.self).baseAddress)
            stream.avail_in = uInt(input.count)
            while true {
                let room = min(max(4096, input.count * 4), limit + 1 - output.readableBytes)
                var status: Int32 = Z_OK
                output.writeWithUnsafeMutableBytes(minimumWritableBytes: room) { out in
                    stream.next_out = out.bindMemory(to: Bytef.self).baseAddress
                    stream.avail_out = uInt(room)
                    status = inflate(&stream, Z_NO_FLUSH)
                    return room - Int(stream.avail_out)
                }
                if output.readableBytes > limit { throw .tooLarge(limit) }
                switch status {
                case Z_STREAM_END:
                    guard stream.avail_in == 0 else { throw .broken("\(stream.avail_in) bytes after the end of the zlib stream") }
                    return output
                case Z_OK:
                    continue
                case Z_BUF_ERROR:
                    throw .broken("the zlib stream is cut off")
                default:
                    let message = stream.msg.map { String(cString: $0) } ?? "error \(status)"
                    throw .broken(message)
                }
            }
        }
    }
}

/// Why a zlib payload could not be read.
enum ZlibError: Error, Equatable {
    case tooLarge(Int)
    case broken(String)
}
