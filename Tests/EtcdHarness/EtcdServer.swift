import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A real etcd on 127.0.0.1, free client and peer ports, data dir on /dev/shm when it exists
/// (else the temp dir), its own process stopped by PID at deinit (also when a test fails).
/// etcd's log goes to a file beside the data dir (`log`), never to a pipe nobody reads. With
/// `tls` it serves its clients over TLS only (`https://`), optionally wanting client certificates.
///
/// The synchronous methods wait with `Thread.sleep`: call them from a synchronous context, or
/// use their async twins (same names, `await`), which wait on a dispatch thread so that the
/// cooperative pool keeps running the code under test.
public final class EtcdServer: @unchecked Sendable {
    public let name: String
    /// More etcd flags, after the harness's own (`--auth-token-ttl 1`, say).
    public let arguments: [String]
    public let tls: TLS?
    /// "http://127.0.0.1:PORT", "https://127.0.0.1:PORT" with `tls`.
    public private(set) var endpoint: String
    private let root: URL
    private var clientPort: Int
    private var peerPort: Int
    /// Guards `process` and `rootPassword`: a test may kill the server while another task asks it something.
    private let lock = NSLock()
    private var process: Process?
    private var rootPassword: String?

    /// TLS on the client port: etcd's certificate (any: the harness's own probe and etcdctl do
    /// not check it, so that a test can give etcd an expired one or one for another name), and
    /// with `clientCAFile`, `--client-cert-auth`: then `clientCertFile`/`clientKeyFile` are what
    /// the probe and etcdctl present, and etcd's certificate must be for client authentication
    /// too (etcd 3.4's JSON gateway presents it to etcd's own gRPC server).
    public struct TLS: Sendable {
        public var certFile: String
        public var keyFile: String
        public var clientCAFile: String?
        public var clientCertFile: String?
        public var clientKeyFile: String?

        public init(certFile: String, keyFile: String, clientCAFile: String? = nil, clientCertFile: String? = nil, clientKeyFile: String? = nil) {
            self.certFile = certFile
            self.keyFile = keyFile
            self.clientCAFile = clientCAFile
            self.clientCertFile = clientCertFile
            self.clientKeyFile = clientKeyFile
        }

        var serverArguments: [String] {
            ["--cert-file", certFile, "--key-file", keyFile] + (clientCAFile.map { ["--client-cert-auth", "--trusted-ca-file", $0] } ?? [])
        }

        /// etcdctl's: TLS (without a certificate file etcdctl would dial in plain text), nothing
        /// checked (see above), the client certificate when there is one.
        var clientArguments: [String] {
            var arguments = ["--insecure-transport=false", "--insecure-skip-tls-verify"]
            if let clientCertFile, let clientKeyFile { arguments += ["--cert=\(clientCertFile)", "--key=\(clientKeyFile)"] }
            return arguments
        }
    }

    /// Why etcd could not be started or asked, with the end of its log.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Starts etcd and waits (≤ 15 s) until `/v3/maintenance/status` answers; throws with the end of
    /// etcd's log otherwise. Free ports are found by binding port 0, so another process can take
    /// one before etcd does: then it tries again on new ports.
    public init(name: String = "test", arguments: [String] = [], tls: TLS? = nil) throws {
        self.name = name
        self.arguments = arguments
        self.tls = tls
        let shm = URL(fileURLWithPath: "/dev/shm")
        let base = FileManager.default.isWritableFile(atPath: shm.path) ? shm : FileManager.default.temporaryDirectory
        root = base.appendingPathComponent("thrifttop-etcd-\(name)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        (clientPort, peerPort, endpoint) = (0, 0, "")
        for attempt in 1...3 {
            (clientPort, peerPort) = (try Self.freePort(), try Self.freePort())
            endpoint = "\(tls == nil ? "http" : "https")://127.0.0.1:\(clientPort)"
            do {
                try launch()
                return
            } catch where attempt < 3 && log.contains("address already in use") {
                try? FileManager.default.removeItem(at: root.appendingPathComponent("data"))
            }
        }
    }

    /// `init` on a dispatch thread.
    public static func start(name: String = "test", arguments: [String] = [], tls: TLS? = nil) async throws -> EtcdServer {
        try await offPool { try EtcdServer(name: name, arguments: arguments, tls: tls) }
    }

    deinit {
        signalAndWait(SIGKILL, seconds: 10)
        try? FileManager.default.removeItem(at: root)
    }

    /// The running etcd's PID (that of the last one once it is gone).
    public var pid: Int32 { lock.withLock { process?.processIdentifier ?? 0 } }

    /// etcd's log so far, for failure messages.
    public var log: String {
        String(decoding: (try? Data(contentsOf: logFile)) ?? Data(), as: UTF8.self)
    }

    // MARK: - Life and death

    /// SIGKILL, and waits until it is gone: a store that died.
    public func kill() { signalAndWait(SIGKILL, seconds: 10) }

    /// SIGTERM, then SIGKILL after 5 s.
    public func stop() {
        if !signalAndWait(SIGTERM, seconds: 5) { signalAndWait(SIGKILL, seconds: 10) }
    }

    /// SIGSTOP: a hung store (its sockets still accept connections; nothing answers).
    public func pause() { signal(SIGSTOP) }

    /// SIGCONT after `pause()`.
    public func resume() { signal(SIGCONT) }

    /// Starts etcd again on the same ports and data dir (stopping it first if it runs) and
    /// waits until it answers. Its keys survive; simple auth tokens do not.
    public func restart() throws {
        stop()
        try launch()
    }

    public func kill() async { await Self.offPool { self.kill() } }
    public func stop() async { await Self.offPool { self.stop() } }
    public func restart() async throws { try await Self.offPool { try self.restart() } }

    // MARK: - etcdctl

    /// Runs `etcdctl --endpoints=…` (with `--user root:…` once `enableAuth` ran) and returns its
    /// stdout; throws with its stderr when it fails.
    @discardableResult
    public func etcdctl(_ arguments: [String]) throws -> String {
        let id = UUID().uuidString.prefix(8)
        let out = root.appendingPathComponent("etcdctl-\(id).out")
        let err = root.appendingPathComponent("etcdctl-\(id).err")
        defer {
            try? FileManager.default.removeItem(at: out)
            try? FileManager.default.removeItem(at: err)
        }
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        let tool = Process()
        tool.executableURL = URL(fileURLWithPath: "/usr/bin/etcdctl")
        let user = lock.withLock { rootPassword }.map { ["--user=root:\($0)"] } ?? []
        tool.arguments = ["--endpoints=\(endpoint)", "--dial-timeout=2s", "--command-timeout=10s"] + (tls?.clientArguments ?? []) + user + arguments
        tool.environment = ["ETCDCTL_API": "3", "PATH": "/usr/bin:/bin"]
        tool.standardInput = FileHandle.nullDevice
        tool.standardOutput = try FileHandle(forWritingTo: out)
        tool.standardError = try FileHandle(forWritingTo: err)
        try tool.run()
        let deadline = Date().addingTimeInterval(20)
        while tool.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        if tool.isRunning {
            Glibc.kill(tool.processIdentifier, SIGKILL)
            while tool.isRunning { Thread.sleep(forTimeInterval: 0.01) }
            throw Failure(description: "etcdctl \(arguments.joined(separator: " ")) did not finish within 20 s")
        }
        let stdout = String(decoding: (try? Data(contentsOf: out)) ?? Data(), as: UTF8.self)
        guard tool.terminationStatus == 0 else {
            let stderr = String(decoding: (try? Data(contentsOf: err)) ?? Data(), as: UTF8.self)
            throw Failure(description: "etcdctl \(arguments.joined(separator: " ")) exited \(tool.terminationStatus): \(stderr)\(stdout)")
        }
        return stdout
    }

    /// Turns auth on: a root user (etcdctl then acts as root), and `user` with `password` allowed
    /// to read and write every key under `prefix` and nothing else.
    public func enableAuth(user: String, password: String, prefix: String) throws {
        let root = "root-\(UUID().uuidString.prefix(8))"
        try etcdctl(["user", "add", "root:\(root)"])
        try etcdctl(["user", "add", "\(user):\(password)"])
        try etcdctl(["role", "add", "\(user)-readwrite"])
        try etcdctl(["role", "grant-permission", "\(user)-readwrite", "--prefix=true", "readwrite", prefix])
        try etcdctl(["user", "grant-role", user, "\(user)-readwrite"])
        try etcdctl(["auth", "enable"])
        lock.withLock { rootPassword = root }
    }

    @discardableResult
    public func etcdctl(_ arguments: [String]) async throws -> String {
        try await Self.offPool { try self.etcdctl(arguments) }
    }

    public func enableAuth(user: String, password: String, prefix: String) async throws {
        try await Self.offPool { try self.enableAuth(user: user, password: password, prefix: prefix) }
    }

    // MARK: - The process

    private var logFile: URL { root.appendingPathComponent("etcd.log") }

    private func launch() throws {
        if !FileManager.default.fileExists(atPath: logFile.path) {
            _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        }
        let output = try FileHandle(forWritingTo: logFile)
        output.seekToEndOfFile()
        let peer = "http://127.0.0.1:\(peerPort)"
        let etcd = Process()
        etcd.executableURL = URL(fileURLWithPath: "/usr/bin/etcd")
        etcd.arguments = [
            "--name", name, "--data-dir", root.appendingPathComponent("data").path,
            "--listen-client-urls", endpoint, "--advertise-client-urls", endpoint,
            "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
            "--initial-cluster", "\(name)=\(peer)",
            // A one-member cluster elects itself within a few heartbeats: start in ~1 s, not ~3.
            "--heartbeat-interval", "10", "--election-timeout", "100",
            "--logger", "zap", "--log-outputs", "stderr",
        ] + (tls?.serverArguments ?? []) + arguments
        etcd.standardInput = FileHandle.nullDevice
        etcd.standardOutput = output
        etcd.standardError = output
        try etcd.run()
        try? output.close()
        lock.withLock { process = etcd }
        try waitUntilAnswering(etcd, seconds: 15)
    }

    private func waitUntilAnswering(_ etcd: Process, seconds: Double) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            guard etcd.isRunning else {
                throw Failure(description: "etcd \(name) exited with status \(etcd.terminationStatus) at start; its log ends:\n\(logTail())")
            }
            if let tls, StatusProbe.answersTLS(port: clientPort, certFile: tls.clientCertFile, keyFile: tls.clientKeyFile) { return }
            if tls == nil, StatusProbe.answers(port: clientPort) { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        signalAndWait(SIGKILL, seconds: 10)
        throw Failure(description: "etcd \(name) did not answer on \(endpoint) within \(Int(seconds)) s; its log ends:\n\(logTail())")
    }

    private func logTail(lines: Int = 25) -> String {
        log.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }

    private func signal(_ signal: Int32) {
        lock.withLock {
            if let process, process.isRunning { _ = Glibc.kill(process.processIdentifier, signal) }
        }
    }

    /// Sends `signal` (with SIGCONT, so that a paused etcd can act on SIGTERM) and waits up to
    /// `seconds` for the process to be gone; whether it is.
    @discardableResult
    private func signalAndWait(_ signal: Int32, seconds: Double) -> Bool {
        guard let etcd = lock.withLock({ process }), etcd.isRunning else { return true }
        _ = Glibc.kill(etcd.processIdentifier, signal)
        _ = Glibc.kill(etcd.processIdentifier, SIGCONT)
        let deadline = Date().addingTimeInterval(seconds)
        while etcd.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.005) }
        return !etcd.isRunning
    }

    private static func freePort() throws -> Int { try LoopbackPort.free() }

    /// Runs blocking work (process waits, polling) on a dispatch thread.
    static func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
        }
    }

    static func offPool(_ work: @escaping @Sendable () -> Void) async {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                work()
                continuation.resume()
            }
        }
    }
}
