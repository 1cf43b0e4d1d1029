import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Whether an etcd on 127.0.0.1:port answers `POST /v3/maintenance/status` — over a plain
/// blocking socket, so that the harness can wait for etcd without an HTTP client or an event loop;
/// over TLS with curl (a TLS stack of its own is not worth writing for a readiness probe).
enum StatusProbe {
    static func answers(port: Int, timeoutSeconds: Int = 1) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard connected else { return false }
        let request = "POST /v3/maintenance/status HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
        guard request.utf8CString.withUnsafeBufferPointer({ send(fd, $0.baseAddress, $0.count - 1, Int32(MSG_NOSIGNAL)) }) == request.utf8.count else {
            return false
        }
        var answer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while answer.count < 65536 {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            answer += chunk[..<count]
        }
        let text = String(decoding: answer, as: UTF8.self)
        // proto3 JSON leaves out a zero leader: the field is there once the member has one.
        return text.hasPrefix("HTTP/1.1 200") && text.contains("\"leader\"")
    }

    /// Over TLS, etcd's certificate not checked (a test may give it a bad one on purpose), with
    /// the client certificate when etcd wants one.
    static func answersTLS(port: Int, certFile: String?, keyFile: String?, timeoutSeconds: Int = 1) -> Bool {
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        var arguments = ["--silent", "--insecure", "--max-time", "\(timeoutSeconds)", "-X", "POST", "-d", "{}"]
        if let certFile, let keyFile { arguments += ["--cert", certFile, "--key", keyFile] }
        curl.arguments = arguments + ["https://127.0.0.1:\(port)/v3/maintenance/status"]
        let output = Pipe()
        curl.standardInput = FileHandle.nullDevice
        curl.standardOutput = output
        curl.standardError = FileHandle.nullDevice
        guard (try? curl.run()) != nil else { return false }
        // The answer is small (a few hundred bytes): read to the end, then reap.
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        while curl.isRunning { Thread.sleep(forTimeInterval: 0.005) }
        return curl.terminationStatus == 0 && text.contains("\"leader\"")
    }
}
