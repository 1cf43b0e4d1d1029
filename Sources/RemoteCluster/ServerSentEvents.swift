/// One server-sent event (the `text/event-stream` format): its type, data and id.
public struct ServerSentEvent: Equatable, Sendable {
    /// `message` when the server named none.
    public var event: String
    /// The `data:` lines joined with newlines.
    public var data: String
    /// The last `id:` seen on the stream so far (ids carry over to later events, as the spec says).
    public var id: String?
}

/// Turns the bytes of an event stream, in chunks split anywhere, into events. Lines may end in
/// LF, CRLF or CR; `:` lines are comments (the daemon's keep-alives). An event larger than
/// `maximumEventBytes` is an error rather than unbounded memory.
public struct ServerSentEventParser: Sendable {
    public struct TooLarge: Error, CustomStringConvertible {
        public let limit: Int
        public var description: String { "the daemon sent an event of more than \(limit) bytes" }
    }

    public let maximumEventBytes: Int
    private var line: [UInt8] = []
    private var sawCR = false
    private var eventType = ""
    private var dataLines: [String] = []
    private var pendingBytes = 0
    private var lastID: String?
    /// Comment lines seen (keep-alives): activity with no event.
    public private(set) var comments = 0

    public init(maximumEventBytes: Int = 64 << 20) {
        self.maximumEventBytes = maximumEventBytes
    }

    /// The events completed by `bytes`.
    public mutating func feed<Bytes: Sequence>(_ bytes: Bytes) throws -> [ServerSentEvent] where Bytes.Element == UInt8 {
        var events: [ServerSentEvent] = []
        for byte in bytes {
            if sawCR {
                sawCR = false
                if byte == UInt8(ascii: "\n") { continue }
            }
            switch byte {
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                sawCR = byte == UInt8(ascii: "\r")
                if let event = try endLine() { events.append(event) }
            default:
                line.append(byte)
                pendingBytes += 1
                if pendingBytes > maximumEventBytes { throw TooLarge(limit: maximumEventBytes) }
            }
        }
        return events
    }

    private mutating func endLine() throws -> ServerSentEvent? {
        defer { line.removeAll(keepingCapacity: line.count < 1 << 16) }
        if line.isEmpty { return dispatch() }
        if line.first == UInt8(ascii: ":") {
            comments += 1
            return nil
        }
        let colon = line.firstIndex(of: UInt8(ascii: ":")) ?? line.endIndex
        let field = String(decoding: line[..<colon], as: UTF8.self)
        var valueStart = colon < line.endIndex ? line.index(after: colon) : colon
        if valueStart < line.endIndex, line[valueStart] == UInt8(ascii: " ") { valueStart = line.index(after: valueStart) }
        let value = String(decoding: line[valueStart...], as: UTF8.self)
        switch field {
        case "event": eventType = value
        case "data": dataLines.append(value)
        case "id" where !value.contains("\0"): lastID = value
        default: break  // `retry` and unknown fields: ignored, as the spec says
        }
        return nil
    }

    private mutating func dispatch() -> ServerSentEvent? {
        defer {
            eventType = ""
            dataLines.removeAll()
            pendingBytes = 0
        }
        guard !dataLines.isEmpty else { return nil }
        return ServerSentEvent(event: eventType.isEmpty ? "message" : eventType, data: dataLines.joined(separator: "\n"), id: lastID)
    }
}
