/// `fb_status` from fb303: the server's own view of its health. An i32 on the wire; values
/// outside 0…5 decode as `.unknown(n)` rather than failing the reply.
public enum FBStatus: Sendable, Equatable, Hashable, ThriftFieldValue, CustomStringConvertible {
    case dead, starting, alive, stopping, stopped, warning
    case unknown(Int32)

    public init(code: Int32) {
        switch code {
        case 0: self = .dead
        case 1: self = .starting
        case 2: self = .alive
        case 3: self = .stopping
        case 4: self = .stopped
        case 5: self = .warning
        default: self = .unknown(code)
        }
    }

    /// Parses the IDL name (`ALIVE`, `warning`…).
    public init?(name: String) {
        switch name.uppercased() {
        case "DEAD": self = .dead
        case "STARTING": self = .starting
        case "ALIVE": self = .alive
        case "STOPPING": self = .stopping
        case "STOPPED": self = .stopped
        case "WARNING": self = .warning
        default: return nil
        }
    }

    public var code: Int32 {
        switch self {
        case .dead: 0
        case .starting: 1
        case .alive: 2
        case .stopping: 3
        case .stopped: 4
        case .warning: 5
        case let .unknown(code): code
        }
    }

    public var description: String {
        switch self {
        case .dead: "DEAD"
        case .starting: "STARTING"
        case .alive: "ALIVE"
        case .stopping: "STOPPING"
        case .stopped: "STOPPED"
        case .warning: "WARNING"
        case let .unknown(code): "UNKNOWN(\(code))"
        }
    }

    public static var thriftType: TType { .i32 }
    public static func read<R: ThriftProtocolReader>(from reader: inout R) throws -> FBStatus {
        FBStatus(code: try reader.readI32())
    }
    public func write<W: ThriftProtocolWriter>(to writer: inout W) { writer.writeI32(code) }
}

/// A Thrift service method: its name, args struct, result struct, and how to get the success
/// value (or throw the declared exception) out of the result.
public protocol ThriftMethod {
    associatedtype Args: ThriftStruct
    associatedtype Result: ThriftStruct
    associatedtype Success: Sendable
    static var name: String { get }
    static func success(from result: Result) throws -> Success
}

/// A method whose result has only a `success` field.
public protocol ThriftSimpleMethod: ThriftMethod where Result == ThriftSuccessResult<Success>, Success: ThriftFieldValue {}

extension ThriftSimpleMethod {
    public static func success(from result: Result) throws -> Success {
        guard let value = result.success else {
            throw TApplicationException(.missingResult, message: "\(name) failed: unknown result")
        }
        return value
    }
}

/// The fb303 `FacebookService` methods thrifttop uses (see `demo/fb303.thrift`).
public enum FB303 {
    public enum GetName: ThriftSimpleMethod {
        public typealias Args = ThriftEmptyStruct
        public typealias Success = String
        public static var name: String { "getName" }
    }

    public enum GetVersion: ThriftSimpleMethod {
        public typealias Args = ThriftEmptyStruct
        public typealias Success = String
        public static var name: String { "getVersion" }
    }

    public enum GetStatus: ThriftSimpleMethod {
        public typealias Args = ThriftEmptyStruct
        public typealias Success = FBStatus
        public static var name: String { "getStatus" }
    }

    public enum GetStatusDetails: ThriftSimpleMethod {
        public typealias Args = ThriftEmptyStruct
        public typealias Success = String
        public static var name: String { "getStatusDetails" }
    }

    public enum GetCounters: ThriftSimpleMethod {
        public typealias Args = ThriftEmptyStruct
        public typealias Success = [String: Int64]
        public static var name: String { "getCounters" }
    }

    public enum GetCounter: ThriftSimpleMethod {
        public typealias Args = GetCounterArgs
        public typealias Success = Int64
        public static var name: String { "getCounter" }
    }

    public enum AliveSince: ThriftSimpleMethod {
        public typealias Args = ThriftEmptyStruct
        public typealias Success = Int64
        public static var name: String { "aliveSince" }
    }

    /// `getCounter(1: string key)`.
    public struct GetCounterArgs: ThriftStruct, Equatable {
        public var key: String

        public init(key: String) { self.key = key }

        public init<R: ThriftProtocolReader>(from reader: inout R) throws {
            var key = ""
            try reader.readStruct { r, field in
                guard field.id == 1 else { return false }
                key = try r.readField(field) ?? ""
                return true
            }
            self.key = key
        }

        public func write<W: ThriftProtocolWriter>(to writer: inout W) {
            writer.writeStruct { $0.writeField(1, key) }
        }
    }

}
