import Foundation
import Testing

/// `thrifttop --demo` in a real terminal (tmux), driven by keys, as a person would use it.
@Suite("Dashboard end to end (tmux)", .serialized)
struct DashboardEndToEndTests {
    /// A small, fast scenario: three healthy nodes and one that crashes at 4 s for 4 s.
    static let scenario = """
        name = "e2e"
        [defaults]
        latency_ms = 0.2
        [[node]]
        name = "alpha"
        [[node]]
        name = "bravo"
        [[node]]
        name = "charlie"
        [[node]]
        name = "phoenix"
        [[node.step]]
        at = 4
        duration = 4
        crashed = true
        """

    func demo(_ extra: String = "") throws -> TmuxSession {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("thrifttop-e2e-scenario-\(UUID().uuidString).toml")
        try Self.scenario.write(to: dir, atomically: true, encoding: .utf8)
        return try TmuxSession(command: "\(TmuxSession.thrifttop) --demo --scenario \(dir.path) --traffic-rate 150 --seed 5 --exit-after 120 \(extra)")
    }

    func allUp(_ screen: String) -> Bool {
        ["alpha", "bravo", "charlie", "phoenix"].allSatisfy { TmuxSession.row(screen, $0)?.contains("up") == true }
    }

    @Test func theDemoShowsEveryNodeAndACrashingNodeGoesDownAndComesBack() async throws {
        let t = try demo()
        try await t.waitFor("all four nodes up", seconds: 10) { allUp($0) }
        try await t.waitFor("phoenix down") { TmuxSession.row($0, "phoenix")?.contains("down") == true }
        let back = try await t.waitFor("phoenix up again", seconds: 20) { TmuxSession.row($0, "phoenix")?.contains("up") == true }
        #expect(back.contains("phoenix") && back.contains("→ up"))
        try t.keys("q")
        #expect(try await t.waitForFile("exit")?.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
        #expect(try await t.waitForFile("stty.after") == t.file("stty.before"))
    }

    /// The SHARE column of a node's row, in percent (the first percentage; AVAIL follows it).
    static func share(_ screen: String, _ node: String) -> Double? {
        TmuxSession.row(screen, node)?.split(separator: " ").first { $0.hasSuffix("%") }.flatMap { Double($0.dropLast()) }
    }

    @Test func drainingANodeTakesItsTrafficToZeroWhileTheOthersCarryOn() async throws {
        let t = try demo()
        try await t.waitFor("traffic on every healthy node", seconds: 10) { screen in
            allUp(screen) && ["alpha", "bravo", "charlie"].allSatisfy { (Self.share(screen, $0) ?? 0) > 0 }
        }
        // Sorted by name (N; the default is worst first), the first row is selected: alpha.
        try t.keys("N")
        try t.keys("d")
        try await t.waitFor("the drain dialog naming alpha") { $0.contains("Drain alpha") || $0.contains("drain alpha") }
        try t.keys("y")
        try await t.waitFor("alpha draining") { TmuxSession.row($0, "alpha")?.contains("drain") == true }
        // "drained" is shown once nothing is in flight any more.
        let drained = try await t.waitFor("alpha drained: nothing in flight and 0% share") { screen in
            guard let row = TmuxSession.row(screen, "alpha") else { return false }
            return row.contains("drained") && row.contains(" 0.0%")
        }
        // The others still take the load: all of it between them (each healthy one some; P2C is
        // free to favour whichever answers fastest, so not an equal part each).
        for node in ["bravo", "charlie"] {
            #expect((Self.share(drained, node) ?? 0) > 0, "\(TmuxSession.row(drained, node) ?? node)")
        }
        let others = ["bravo", "charlie", "slowpoke", "grumpy", "flappy", "phoenix", "diskfull", "warmup"]
        #expect(others.compactMap { Self.share(drained, $0) }.reduce(0, +) > 90, "\(drained)")
        #expect(drained.contains("drained alpha"))
        try t.keys("q")
        #expect(try await t.waitForFile("exit")?.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
    }

    @Test func raisingAWeightRaisesTheShare() async throws {
        let t = try demo()
        try await t.waitFor("all up", seconds: 10) { allUp($0) }
        try t.keys("N")  // by name: alpha, bravo, …
        try t.keys("j")  // bravo
        try t.keys("+")
        try await t.waitFor("the weight dialog") { $0.contains("bravo") && $0.contains("110") }
        try t.keys("y")
        try await t.waitFor("bravo weight 110") { TmuxSession.row($0, "bravo")?.contains(" 110* ") == true }
        // Set a much larger weight and watch the share follow.
        try t.keys("w")
        try await t.waitFor("the weight prompt") { $0.lowercased().contains("weight") && $0.contains("bravo") }
        try t.keys("C-u", "900", "Enter")
        try await t.waitFor("the confirmation") { $0.contains("900") }
        try t.keys("y")
        try await t.waitFor("bravo's share well above the others'", seconds: 20) { screen in
            guard TmuxSession.row(screen, "bravo")?.contains(" 900* ") == true, let share = Self.share(screen, "bravo") else { return false }
            return share > 40 && ["alpha", "charlie"].allSatisfy { (Self.share(screen, $0) ?? 100) < 30 }
        }
        try t.keys("q")
        #expect(try await t.waitFor("exit", seconds: 10) { _ in t.file("exit") != nil }.isEmpty == false)
    }

    @Test func sigtermRestoresTheTerminalAndResizingToATinyWindowAndBackWorks() async throws {
        let t = try demo()
        try await t.waitFor("all up", seconds: 10) { allUp($0) }
        try t.resize(width: 40, height: 12)
        try await t.waitFor("the too-small notice") { $0.contains("too small") }
        try t.resize(width: 160, height: 45)
        try await t.waitFor("the table again") { allUp($0) }
        let pid = try #require(await t.waitForFile("pid").flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) })
        kill(pid, SIGTERM)
        let exit = try await t.waitForFile("exit")?.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(exit == "143", "exit status \(exit ?? "none"), screen:\n\((try? t.screen()) ?? "")")
        #expect(try await t.waitForFile("stty.after") == t.file("stty.before"))
    }
}
