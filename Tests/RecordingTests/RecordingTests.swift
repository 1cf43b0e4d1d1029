import ClusterModel
import Foundation
import Testing
@testable import Recording

/// Recording files: what is recorded is what a replay finds at every moment, across chunks and
/// rotated files; a file cut at any byte replays up to the cut and says where; a newer schema
/// and a file that is no recording are refused by name.
@Suite("Recordings")
struct RecordingTests {
    /// A scratch directory, removed with the value.
    final class Scratch {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("thrifttop-rec-\(UUID().uuidString)")
        init() throws { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(at: url) }
        func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    }

    static let start = 1_796_000_000.0

    /// Second `t` of a scripted cluster: three nodes; db-2 goes suspect at 18 s, down at 20 s and up at 50 s;
    /// db-3 is drained at 70 s; latency and heartbeat counts move every second; an event at each change.
    static func cluster(at t: Int) -> ClusterSnapshot {
        var events: [PoolEvent] = []
        func event(_ at: Int, _ node: String, _ kind: PoolEvent.Kind, _ message: String) {
            if t >= at { events.append(PoolEvent(id: UInt64(events.count + 1), time: start + Double(at), node: node, severity: .info, kind: kind, message: message)) }
        }
        event(18, "db-2", .stateChange, "up → suspect: timeout after 980 ms")
        event(20, "db-2", .stateChange, "suspect → down: connection refused")
        event(50, "db-2", .stateChange, "down → up")
        event(70, "db-3", .operatorAction, "drained by alice")
        let nodes = (1...3).map { i -> NodeSnapshot in
            var node = NodeSnapshot(name: "db-\(i)", address: "10.0.0.\(i):9090", health: i != 2 ? .up : (20..<50).contains(t) ? .down : (18..<20).contains(t) ? .suspect : .up)
            // The figures that move every second (the recording's columns), and a counter
            // that appears at 40 s (the node goes whole that second).
            node.heartbeatsOK = t
            node.latencyP50 = 1 + Double((t * 7 + i) % 10) / 10
            node.latencyEWMA = 0.4 + Double(t % 13) * 0.0371234
            node.fbStatusAt = start + Double(t) - 0.0123 * Double(i)
            node.recentLatencies = (max(0, t - 5)...t).map { 0.25 + Double(($0 * 31 + i) % 17) * 0.013 }
            node.latencyHistogram = [0.5, 1, 5, .infinity].enumerated().map { LatencyBucket(upperBoundMillis: $1, count: (t + $0 * i) % 4) }
            node.calls = t * t * i
            node.latencyP90 = 2 + Double(t % 5) / 7
            node.latencyP99 = 3 + Double(t % 7) / 3
            node.latencyMax = 9 + Double(t % 11) * 1.001
            node.heartbeatsFailed = t / 9
            node.callFailures = t / 4
            node.retries = t / 6
            node.inFlight = (t * i) % 5
            node.phi = Double(t % 4) * 0.37
            node.availability = 1 - Double(t % 9) / 300
            node.clusterAvailabilityIfDrained = 0.9 + Double(t % 3) / 100
            node.trafficShare = Double(i) / 6 + Double(t % 3) / 100
            node.counters = ["demo.calls": Int64(t * 3)].merging(t >= 40 ? ["demo.restarts": Int64(t / 40)] : [:]) { $1 }
            node.operatorDrained = i == 3 && t >= 70
            return node
        }
        var snapshot = ClusterSnapshot(clusterName: "shop", wallTime: start + Double(t), nodes: nodes, events: events, callsPerSecond: Double(100 + t))
        snapshot.version = UInt64(t + 1)
        return snapshot
    }

    /// The snapshot's JSON form without the version, to compare what is replayed with what
    /// was recorded (`expected`).
    static func comparable(_ snapshot: ClusterSnapshot) -> [UInt8] {
        var snapshot = snapshot
        snapshot.version = 0
        return SnapshotDelta(snapshot: snapshot).json
    }

    /// What a replay of `snapshot` must show: it at the recording's precision (latencies to
    /// the microsecond, times to the millisecond), nothing else changed.
    static func expected(_ snapshot: ClusterSnapshot) -> [UInt8] { comparable(RecordingPrecision.rounded(snapshot)) }

    func record(_ path: String, seconds: Int, keyframe: Double) throws {
        let writer = try RecordingWriter(path: path, header: RecordingHeader(cluster: "shop", startedAt: Self.start, recorder: "test",
                                                                              config: "3 nodes, p2c-peak-ewma"), keyframeInterval: keyframe)
        for t in 0..<seconds { try writer.record(Self.cluster(at: t)) }
        try writer.close()
    }

    @Test func aReplayFindsEachRecordedMomentAcrossChunks() throws {
        let scratch = try Scratch()
        let path = scratch.path("shop.ttrec")
        try record(path, seconds: 100, keyframe: 15)
        let replay = try Replay(path: path)
        #expect(replay.header.cluster == "shop" && replay.header.recorder == "test" && replay.header.schema == 2)
        #expect(replay.files[0].chunks.count == 7, "a chunk every 15 s")
        #expect(replay.start == Self.start)
        #expect(try replay.lastMoment()?.time == Self.start + 99)
        #expect(replay.damage.isEmpty)
        for t in [0, 1, 14, 15, 16, 19, 20, 21, 44, 45, 50, 69, 70, 99] {
            let found = try #require(try replay.snapshot(at: Self.start + Double(t)), "second \(t)")
            #expect(found.time == Self.start + Double(t))
            #expect(Self.comparable(found.snapshot) == Self.expected(Self.cluster(at: t)), "second \(t)")
        }
        // Between whole snapshots, a second where only figures moved is columns alone; a
        // node that changed more (db-2 down at 20 s) goes whole in the JSON.
        let frames = try replay.files[0].frames(of: replay.files[0].chunks[1]).frames
        #expect(frames.count == 15 && frames[0].isSnapshot && frames[1...].allSatisfy { !$0.isSnapshot && !$0.columns.isEmpty })
        #expect(frames[5].time == Self.start + 20 && String(decoding: frames[5].json, as: UTF8.self).contains(#""name":"db-2""#))
        #expect(String(decoding: frames[6].json, as: UTF8.self).contains(#""nodes":[]"#), "second 21: the header's figures, no node whole")
        // Between frames, the last one; before the first, nothing.
        #expect(try replay.snapshot(at: Self.start + 20.5)?.time == Self.start + 20)
        #expect(try replay.snapshot(at: Self.start - 1) == nil)
        let suspect = try #require(try replay.snapshot(at: Self.start + 19.5)).snapshot
        #expect(suspect.nodes.first { $0.name == "db-2" }?.health == .suspect, "suspect at the recorded time")
        #expect(try replay.snapshot(at: Self.start + 17.9)?.snapshot.nodes.first { $0.name == "db-2" }?.health == .up)
        let down = try #require(try replay.snapshot(at: Self.start + 30)).snapshot
        #expect(down.nodes.first { $0.name == "db-2" }?.health == .down)
        #expect(down.events.map(\.message) == ["up → suspect: timeout after 980 ms", "suspect → down: connection refused"])
    }

    /// The replay screen's cursor, moved as keys move it — forward a second, back within a
    /// chunk, across chunks both ways, past a gap — shows what a fresh seek shows, and finds the
    /// first frame at or after a moment (where a jump to an event lands).
    @Test func aCursorMovedAnyWayShowsWhatASeekShows() throws {
        let scratch = try Scratch()
        let path = scratch.path("shop.ttrec")
        try record(path, seconds: 100, keyframe: 15)
        let replay = try Replay(path: path)
        let cursor = ReplayCursor(replay)
        for t in [0.0, 1, 2, 3, 14, 15, 16, 20.5, 17, 16, 15, 14, 99, 3, 44, 46, 45, 70, 69, 120] {
            let moved = try #require(try cursor.snapshot(at: Self.start + t))
            let sought = try #require(try replay.snapshot(at: Self.start + t))
            #expect(Self.comparable(moved) == Self.comparable(sought.snapshot), "second \(t)")
            #expect(cursor.frameTime == sought.time)
        }
        #expect(try cursor.snapshot(at: Self.start - 0.5) == nil)
        #expect(try cursor.frameTime(atOrAfter: Self.start + 20.5) == Self.start + 21)
        #expect(try cursor.frameTime(atOrAfter: Self.start + 14.5) == Self.start + 15, "the next chunk's first frame")
        #expect(try cursor.frameTime(atOrAfter: Self.start + 99.5) == nil)
    }

    /// A reload mid-chunk — a node added between two others, one removed, the order changed —
    /// and a latency that appears, frames a little more than a second apart: every moment
    /// replays as recorded (the writer starts a chunk where the nodes stop lining up).
    @Test func reloadsReordersAndFiguresThatAppearReplayAsRecorded() throws {
        let scratch = try Scratch()
        let path = scratch.path("reload.ttrec")
        func cluster(_ i: Int) -> ClusterSnapshot {
            var snapshot = Self.cluster(at: i)
            snapshot.wallTime = Self.start + Double(i) * 1.25
            if (4..<9).contains(i) {
                var added = NodeSnapshot(name: "db-1b", address: "10.0.0.9:9090", health: .up)
                added.heartbeatsOK = i
                added.latencyP50 = i >= 6 ? 0.5 + Double(i) / 100 : nil  // appears at 6
                snapshot.nodes.insert(added, at: 1)
            }
            if i >= 12 { snapshot.nodes.reverse() }
            return snapshot
        }
        let writer = try RecordingWriter(path: path, header: RecordingHeader(cluster: "shop", startedAt: Self.start, recorder: "test", config: "3 nodes"),
                                         keyframeInterval: 60)
        for i in 0..<16 { try writer.record(cluster(i)) }
        try writer.close()
        let replay = try Replay(path: path)
        let cursor = ReplayCursor(replay)
        for i in Array(0..<16) + [9, 5, 4, 3, 13, 12] {
            let time = Self.start + Double(i) * 1.25
            let found = try #require(try replay.snapshot(at: time + 0.1))
            #expect(found.time == time)
            #expect(Self.comparable(found.snapshot) == Self.expected(cluster(i)), "frame \(i)")
            #expect(Self.comparable(try #require(try cursor.snapshot(at: time))) == Self.expected(cluster(i)), "frame \(i), moved to")
        }
        #expect(replay.files[0].chunks.count == 4, "a chunk at the start and at each change of the nodes' order")
        // Steps go frame by frame whatever their spacing.
        #expect(try cursor.frameTime(before: Self.start + 5 * 1.25) == Self.start + 4 * 1.25)
        #expect(try cursor.frameTime(before: Self.start + 4 * 1.25 + 0.01) == Self.start + 4 * 1.25)
        #expect(try cursor.frameTime(before: Self.start + 4 * 1.25) == Self.start + 3 * 1.25, "the chunk before")
        #expect(try cursor.frameTime(before: Self.start) == nil)
    }

    /// A crash or a full disk just after a chunk's header leaves an empty last chunk: the
    /// recording ends at the chunk before, and a moment after it is that last one.
    @Test func anEmptyLastChunkYieldsToTheOneBefore() throws {
        let scratch = try Scratch()
        let path = scratch.path("empty.ttrec")
        try record(path, seconds: 20, keyframe: 15)
        var header = RecordingFormat.chunkMagic
        header.appendBigEndian(UInt32(0))
        header.appendBigEndian((Self.start + 30).bitPattern)
        header.appendBigEndian(UInt64(0))
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: header)
        try handle.close()
        let replay = try Replay(path: path)
        #expect(replay.isOpen)
        #expect(try replay.lastMoment()?.time == Self.start + 19)
        let found = try #require(try replay.snapshot(at: Self.start + 45))
        #expect(found.time == Self.start + 19)
        #expect(Self.comparable(found.snapshot) == Self.expected(Self.cluster(at: 19)))
    }

    /// Columns of any bytes, on any nodes, are read or refused as damage, never a crash: a
    /// hostile or damaged file must not stop a replay.
    @Test func columnsOfAnyBytesNeverCrash() {
        var random = SystemRandomNumberGenerator()
        let nodes = Self.cluster(at: 30).nodes
        var refused = 0
        for round in 0..<20_000 {
            let count = Int.random(in: 0...(round % 3 == 0 ? 400 : 24), using: &random)
            var bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
            if round % 2 == 0, !bytes.isEmpty {
                // Mostly plausible: small masks and changes, the way a damaged file looks.
                for i in bytes.indices { bytes[i] &= 0x7F }
            }
            var applied = nodes
            do throws(HotColumns.Damaged) {
                try HotColumns.apply(bytes[...], to: &applied)
            } catch {
                refused += 1
            }
        }
        #expect(refused > 10_000)
        // Figures beyond any real one round without a trap.
        #expect(RecordingPrecision.micros(1e300) == Int64.max && RecordingPrecision.micros(-.infinity) == 0)
        #expect(RecordingPrecision.millis(.nan) == 0 && RecordingPrecision.millis(-1e30) == Int64.min)
    }

    @Test func aFileCutAtAnyByteReplaysUpToTheCutAndSaysWhere() throws {
        let scratch = try Scratch()
        let whole = scratch.path("whole.ttrec")
        try record(whole, seconds: 12, keyframe: 4)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: whole))
        let headerEnd = bytes.indices.filter { bytes[$0] == UInt8(ascii: "\n") }[1] + 1
        let cut = scratch.path("cut.ttrec")
        // Cut exactly where a chunk begins, a file is whole up to there: nothing to say.
        let boundaries = Set(try RecordingFile.open(whole).chunks.map { Int($0.offset) - RecordingFormat.chunkHeaderSize })
        var lastReadable = -1
        for length in 0..<bytes.count {
            try bytes.prefix(length).write(to: URL(fileURLWithPath: cut))
            guard length >= headerEnd else {
                #expect(throws: RecordingError.self) { try Replay(path: cut) }
                continue
            }
            let replay = try Replay(path: cut)
            let found = try replay.snapshot(at: Self.start + 100)
            if let found {
                // What it has is what was recorded then, never something else.
                let t = Int(found.time - Self.start)
                #expect(Self.comparable(found.snapshot) == Self.expected(Self.cluster(at: t)), "cut at \(length)")
                #expect(t >= lastReadable, "a longer file never replays less")
                lastReadable = t
                let said = replay.damage + [found.damage].compactMap { $0 }
                if t < 11, !boundaries.contains(length) { #expect(!said.isEmpty, "cut at \(length): where it stops is said") }
            }
        }
        #expect(lastReadable == 11)
    }

    @Test func aNewerSchemaAndAFileThatIsNoRecordingAreRefusedByName() throws {
        let scratch = try Scratch()
        let newer = scratch.path("newer.ttrec")
        try "THRIFTTOP-RECORDING 3\n{}\n".write(toFile: newer, atomically: true, encoding: .utf8)
        #expect(throws: RecordingError("\(newer) is a recording of schema 3, newer than this thrifttop reads (2): replay it with a newer thrifttop")) {
            try Replay(path: newer)
        }
        let other = scratch.path("notes.ttrec")
        try "hello\n".write(toFile: other, atomically: true, encoding: .utf8)
        #expect(throws: RecordingError("\(other) is not a thrifttop recording (it does not start with \"THRIFTTOP-RECORDING \")")) {
            try Replay(path: other)
        }
        #expect(throws: RecordingError("no recording at \(scratch.path("missing"))")) { try Replay(path: scratch.path("missing")) }
    }

    @Test func aDirectoryRotatesFilesAndDropsTheOldestBeyondItsBounds() throws {
        let scratch = try Scratch()
        let directory = scratch.path("rec")
        let header = RecordingHeader(cluster: "shop", startedAt: Self.start, recorder: "serve", config: "3 nodes")
        let recorder = try RecordingDirectory(directory: directory, header: header, maxBytes: 1 << 30, keepSeconds: 86_400,
                                              fileSeconds: 25, keyframeInterval: 10)
        for t in 0..<100 { try recorder.record(Self.cluster(at: t)) }
        try recorder.close()
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        #expect(names.count == 4, "\(names)")
        #expect(names.first == "shop-\(FileName.stamp(Self.start)).ttrec")
        let replay = try Replay(path: directory)
        for t in [0, 24, 25, 26, 60, 99] {
            #expect(try replay.snapshot(at: Self.start + Double(t)).map { Self.comparable($0.snapshot) } == Self.expected(Self.cluster(at: t)), "second \(t)")
        }
        // Over its size bound, the oldest files go when a new one starts.
        let small = try RecordingDirectory(directory: directory, header: header, maxBytes: 1, keepSeconds: 86_400, fileSeconds: 25)
        try small.record(Self.cluster(at: 100))
        try small.close()
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).count == 1)
    }
}
