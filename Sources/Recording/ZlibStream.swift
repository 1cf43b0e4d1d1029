import CZlib

/// A zlib stream written in pieces: each `flush` ends on a byte boundary (Z_SYNC_FLUSH), so a
/// reader of a file cut anywhere gets every piece flushed before the cut.
final class Deflater {
    private var stream = z_stream()

    init(level: Int32 = Z_DEFAULT_COMPRESSION) {
        let status = thrifttop_deflateInit(&stream, level)
        precondition(status == Z_OK, "zlib: deflateInit failed (out of memory)")
    }

    deinit { deflateEnd(&stream) }

    /// Compresses `input` and, with `finish`, ends the stream; returns the bytes to append.
    func compress(_ input: [UInt8], finish: Bool = false) -> [UInt8] {
        var output: [UInt8] = []
        var input = input
        input.withUnsafeMutableBufferPointer { source in
            stream.next_in = source.baseAddress
            stream.avail_in = uInt(source.count)
            var chunk = [UInt8](repeating: 0, count: max(4096, source.count / 2 + 64))
            while true {
                let produced = chunk.withUnsafeMutableBufferPointer { out -> (Int, Int32) in
                    stream.next_out = out.baseAddress
                    stream.avail_out = uInt(out.count)
                    let status = deflate(&stream, finish ? Z_FINISH : Z_SYNC_FLUSH)
                    return (out.count - Int(stream.avail_out), status)
                }
                output.append(contentsOf: chunk[0..<produced.0])
                // Done when the flush fitted (output space left) or the stream ended.
                if finish ? produced.1 == Z_STREAM_END : stream.avail_out > 0 { break }
            }
        }
        return output
    }
}

/// Reads a zlib stream that may have been cut: everything up to the cut comes out, and the
/// caller learns whether the stream ended properly.
final class Inflater {
    private var stream = z_stream()
    private(set) var ended = false

    init() {
        let status = thrifttop_inflateInit(&stream)
        precondition(status == Z_OK, "zlib: inflateInit failed (out of memory)")
    }

    deinit { inflateEnd(&stream) }

    /// What is wrong with a stream that is not merely cut.
    struct Corrupt: Error, Equatable {
        var detail: String
    }

    /// Inflates `input`, appending to `output`, at most `limit` bytes in all; stops at the
    /// stream's end. Returns how many input bytes were used.
    func inflate(_ input: UnsafeRawBufferPointer, into output: inout [UInt8], limit: Int) throws(Corrupt) -> Int {
        guard !ended, input.count > 0 else { return 0 }
        stream.next_in = UnsafeMutablePointer(mutating: input.bindMemory(to: Bytef.self).baseAddress)
        stream.avail_in = uInt(input.count)
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let (produced, status) = chunk.withUnsafeMutableBufferPointer { out -> (Int, Int32) in
                stream.next_out = out.baseAddress
                stream.avail_out = uInt(out.count)
                let status = CZlib.inflate(&stream, Z_NO_FLUSH)
                return (out.count - Int(stream.avail_out), status)
            }
            output.append(contentsOf: chunk[0..<produced])
            if output.count > limit { throw Corrupt(detail: "inflates to more than \(limit) bytes") }
            switch status {
            case Z_STREAM_END:
                ended = true
                return input.count - Int(stream.avail_in)
            case Z_OK:
                if stream.avail_in == 0 && stream.avail_out > 0 { return input.count }
            case Z_BUF_ERROR:
                return input.count - Int(stream.avail_in)  // all input used: the rest was cut
            default:
                throw Corrupt(detail: stream.msg.map { String(cString: $0) } ?? "zlib error \(status)")
            }
        }
    }
}
