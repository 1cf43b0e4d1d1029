import ClusterModel
import Foundation

/// One recording file opened for reading: its header, where its chunks are and what time each
/// covers, and where it is damaged. Opening reads the header and hops the chunk headers; a
/// chunk's frames are inflated when asked for.
public struct RecordingFile: Sendable {
    public let path: String
    public let header: RecordingHeader
    public let chunks: [Chunk]
    /// Where the file stops being readable, said for an operator: a file cut while being
    /// written (a crash) is read up to the cut. Nil when whole.
    public private(set) var damage: String?

    /// One chunk: a whole snapshot and the deltas after it.
    public struct Chunk: Sendable, Equatable {
        /// Where its zlib stream starts in the file.
        public var offset: UInt64
        /// Its compressed length; nil for the last chunk of a file cut while it was written.
        public var length: UInt64?
        public var start: Double
        /// Its last frame's time; nil where it is not known yet (an open chunk).
        public var end: Double?
    }

    /// One recorded frame.
    public struct Frame: Sendable {
        public var time: Double
        public var isSnapshot: Bool
        /// The whole snapshot's or the delta's JSON; empty when only hot figures changed.
        public var json: ArraySlice<UInt8>
        /// `HotColumns` for the nodes the JSON leaves out; empty in version 1.
        var columns: ArraySlice<UInt8>
    }

    public static func open(_ path: String) throws -> RecordingFile {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw RecordingError("cannot open the recording \(path): \(String(cString: strerror(errno)))")
        }
        defer { try? handle.close() }
        let fileSize = (try? handle.seekToEnd()) ?? 0
        try? handle.seek(toOffset: 0)
        let start = [UInt8]((try? handle.read(upToCount: 64 * 1024)) ?? Data())
        let magic = Array(RecordingFormat.magic.utf8)
        guard start.starts(with: magic), let firstLine = start.firstIndex(of: UInt8(ascii: "\n")) else {
            throw RecordingError("\(path) is not a thrifttop recording (it does not start with \"\(RecordingFormat.magic)\")")
        }
        let version = Int(String(decoding: start[magic.count..<firstLine], as: UTF8.self)) ?? -1
        guard version <= RecordingFormat.schemaVersion, version >= 1 else {
            throw RecordingError("\(path) is a recording of schema \(version), newer than this thrifttop reads "
                                 + "(\(RecordingFormat.schemaVersion)): replay it with a newer thrifttop")
        }
        guard let headerEnd = start[(firstLine + 1)...].firstIndex(of: UInt8(ascii: "\n")),
              let header = try? JSONDecoder().decode(RecordingHeader.self, from: Data(start[(firstLine + 1)..<headerEnd])) else {
            throw RecordingError("\(path): the recording's header is cut or unreadable")
        }
        var chunks: [Chunk] = []
        var damage: String?
        var offset = UInt64(headerEnd + 1)
        while offset < fileSize {
            try? handle.seek(toOffset: offset)
            let bytes = [UInt8]((try? handle.read(upToCount: RecordingFormat.chunkHeaderSize)) ?? Data())
            guard bytes.count == RecordingFormat.chunkHeaderSize else {
                damage = "cut at byte \(fileSize), inside a chunk header: the recording stops at its last whole chunk"
                break
            }
            guard bytes.starts(with: RecordingFormat.chunkMagic), let length = bytes.bigEndian(at: 4, as: UInt32.self),
                  let startBits = bytes.bigEndian(at: 8, as: UInt64.self), let endBits = bytes.bigEndian(at: 16, as: UInt64.self),
                  RecordingFormat.isPlausible(Double(bitPattern: startBits)),
                  length == 0 || RecordingFormat.isPlausible(Double(bitPattern: endBits)) else {
                damage = "no chunk at byte \(offset) (the file is damaged there): the recording stops before it"
                break
            }
            let dataOffset = offset + UInt64(RecordingFormat.chunkHeaderSize)
            if length == 0 {
                // Being written, or cut before it was finished: it runs to the end of the file.
                chunks.append(Chunk(offset: dataOffset, length: nil, start: Double(bitPattern: startBits), end: nil))
                break
            }
            guard dataOffset + UInt64(length) <= fileSize else {
                chunks.append(Chunk(offset: dataOffset, length: nil, start: Double(bitPattern: startBits), end: nil))
                damage = "cut at byte \(fileSize), inside a chunk that should end at byte \(dataOffset + UInt64(length))"
                break
            }
            chunks.append(Chunk(offset: dataOffset, length: UInt64(length), start: Double(bitPattern: startBits), end: Double(bitPattern: endBits)))
            offset = dataOffset + UInt64(length)
        }
        return RecordingFile(path: path, header: header, chunks: chunks, damage: damage)
    }

    /// The frames of `chunk`, in order; a chunk cut short gives the frames before the cut and
    /// says where it stopped.
    public func frames(of chunk: Chunk) throws -> (frames: [Frame], damage: String?) {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw RecordingError("cannot open the recording \(path): \(String(cString: strerror(errno)))")
        }
        defer { try? handle.close() }
        try? handle.seek(toOffset: chunk.offset)
        let compressed = (chunk.length.map { try? handle.read(upToCount: Int($0)) } ?? (try? handle.readToEnd())) ?? nil ?? Data()
        var plain: [UInt8] = []
        let inflater = Inflater()
        var damage: String?
        let corrupt = compressed.withUnsafeBytes { raw -> Inflater.Corrupt? in
            do {
                _ = try inflater.inflate(raw, into: &plain, limit: RecordingFormat.maximumChunkSize)
                return nil
            } catch let error as Inflater.Corrupt {
                return error
            } catch {
                return Inflater.Corrupt(detail: "\(error)")
            }
        }
        if let corrupt {
            damage = "a damaged chunk at byte \(chunk.offset) (\(corrupt.detail)): the recording stops before it"
        }
        // A chunk that does not end is the open last one (being written, or left by a crash or
        // a full disk): read to its last whole frame, which is no damage. One whose length was
        // written must end.
        if !inflater.ended, damage == nil, chunk.length != nil {
            damage = "a chunk at byte \(chunk.offset) ends early: the recording stops at its last whole frame"
        }
        var frames: [Frame] = []
        var at = 0
        while let size = plain.bigEndian(at: at, as: UInt32.self).map(Int.init), size >= 9, size <= RecordingFormat.maximumFrameSize,
              at + 4 + size <= plain.count {
            let kind = RecordingFormat.FrameKind(rawValue: plain[at + 4])
            let time = Double(bitPattern: plain.bigEndian(at: at + 5, as: UInt64.self) ?? 0)
            guard RecordingFormat.isPlausible(time) else { break }
            var payload = plain[(at + RecordingFormat.frameHeaderSize)..<(at + 4 + size)]
            var columns: ArraySlice<UInt8> = []
            if kind?.hasColumns == true {
                guard let jsonLength = plain.bigEndian(at: payload.startIndex, as: UInt32.self).map(Int.init),
                      jsonLength <= payload.count - 4 else { break }
                columns = payload[(payload.startIndex + 4 + jsonLength)...]
                payload = payload[(payload.startIndex + 4)..<(payload.startIndex + 4 + jsonLength)]
            } else if kind == nil {
                break
            }
            frames.append(Frame(time: time, isSnapshot: kind?.isWhole == true, json: payload, columns: columns))
            at += 4 + size
        }
        if at < plain.count, damage == nil { damage = "a frame cut short or damaged in the chunk at byte \(chunk.offset): the recording stops before it" }
        return (frames, damage)
    }
}
