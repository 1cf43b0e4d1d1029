import ClusterModel
import Foundation

/// A place in a recording that moves: what the replay screen asks for many times a second.
/// Forward within a chunk it applies the frames after the last one; anywhere else it starts
/// again from the chunk's whole snapshot, decoded once per chunk and kept.
public final class ReplayCursor {
    public let replay: Replay
    private var chunk: Int?
    private var frames: [RecordingFile.Frame] = []
    /// The chunk's whole snapshot, decoded (a move back starts here, not from the JSON again).
    private var keyframe = SnapshotAssembler()
    private var assembler = SnapshotAssembler()
    /// Frames of `frames` applied to `assembler`.
    private var applied = 0
    /// The time of the last frame applied; nil before the first.
    public private(set) var frameTime: Double?
    /// Where the chunks read so far stop being readable, said for the operator (a file's own
    /// damage is in `Replay.damage`).
    public private(set) var damage: String?

    public init(_ replay: Replay) {
        self.replay = replay
    }

    /// The cluster as recorded at `time`: the last frame at or before it (nil before the first).
    public func snapshot(at time: Double) throws -> ClusterSnapshot? {
        guard var index = replay.chunkIndex(at: time) else { return nil }
        try move(in: index, to: time)
        // A chunk with no readable frame by then (a crash or a full disk just after its
        // header): the moment is the last of a chunk before it.
        while frameTime == nil, index > 0 {
            index -= 1
            try move(in: index, to: time)
        }
        return frameTime == nil ? nil : assembler.snapshot
    }

    private func move(in index: Int, to time: Double) throws {
        if index != chunk {
            try load(index)
        } else if let frameTime, time < frameTime {
            assembler = keyframe
            applied = min(1, frames.count)
            self.frameTime = applied > 0 ? frames[0].time : nil
        }
        while applied < frames.count, frames[applied].time <= time {
            guard Replay.apply(frames[applied], to: &assembler) else {
                damage = "\(replay.files[replay.chunks[index].file].path): a frame at \(RFC3339.string(fromUnixSeconds: frames[applied].time)) does not read: the replay stops before it"
                frames.removeSubrange(applied...)
                break
            }
            frameTime = frames[applied].time
            applied += 1
        }
    }

    /// The last frame's time before `time` (the chunks' frames are read as needed); nil before
    /// the first.
    public func frameTime(before time: Double) throws -> Double? {
        guard var index = replay.chunkIndex(at: time) else { return nil }
        while true {
            let (file, chunk) = replay.chunks[index]
            let times = index == self.chunk ? frames.map(\.time) : try replay.files[file].frames(of: chunk).frames.map(\.time)
            if let found = times.last(where: { $0 < time }) { return found }
            guard index > 0 else { return nil }
            index -= 1
        }
    }

    /// The first frame's time at or after `time` (the chunk's frames are read if they are not
    /// the ones held); nil past the last.
    public func frameTime(atOrAfter time: Double) throws -> Double? {
        let index = replay.chunkIndex(at: time) ?? 0
        guard index < replay.chunks.count else { return nil }
        if index != chunk {
            let (file, chunk) = replay.chunks[index]
            if let found = try replay.files[file].frames(of: chunk).frames.first(where: { $0.time >= time }) { return found.time }
        } else if let found = frames.first(where: { $0.time >= time }) {
            return found.time
        }
        return index + 1 < replay.chunks.count ? replay.chunks[index + 1].chunk.start : nil
    }

    private func load(_ index: Int) throws {
        let (file, chunk) = replay.chunks[index]
        let read = try replay.files[file].frames(of: chunk)
        frames = read.frames
        if let problem = read.damage { damage = "\(replay.files[file].path): \(problem)" }
        assembler = SnapshotAssembler()
        applied = 0
        frameTime = nil
        if let first = frames.first, first.isSnapshot, Replay.apply(first, to: &assembler) {
            applied = 1
            frameTime = first.time
        }
        keyframe = assembler
        self.chunk = index
    }
}
