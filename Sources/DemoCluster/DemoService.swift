import ThriftWire

/// `DemoService extends fb303.FacebookService` (see `demo/demo.thrift`): one business method,
/// `work`, so the balancer has real calls to spread.
public enum DemoService {
    /// `binary work(1: i32 costMicros, 2: binary payload) throws (1: WorkFailed failed)`.
    public enum Work: ThriftMethod {
        public typealias Args = WorkArgs
        public typealias Result = WorkResult
        public typealias Success = [UInt8]
        public static var name: String { "work" }

        public static func success(from result: WorkResult) throws -> [UInt8] {
            if let failed = result.failed { throw failed }
            guard let value = result.success else {
                throw TApplicationException(.missingResult, message: "work failed: unknown result")
            }
            return value
        }
    }

    /// `work`'s arguments.
    public struct WorkArgs: ThriftStruct, Equatable {
        public var costMicros: Int32
        public var payload: [UInt8]

        public init(costMicros: Int32, payload: [UInt8]) {
            self.costMicros = costMicros
            self.payload = payload
        }

        public init<R: ThriftProtocolReader>(from reader: inout R) throws {
            var cost: Int32 = 0
            var payload: [UInt8] = []
            try reader.readStruct { r, field in
                switch field.id {
                case 1: cost = try r.readField(field) ?? 0
                case 2: payload = try r.readField(field) ?? []
                default: return false
                }
                return true
            }
            self.costMicros = cost
            self.payload = payload
        }

        public func write<W: ThriftProtocolWriter>(to writer: inout W) {
            writer.writeStruct { w in
                w.writeField(1, costMicros)
                w.writeField(2, payload)
            }
        }
    }

    /// `exception WorkFailed { 1: string reason, 2: i32 code }`: the declared exception.
    public struct WorkFailed: Error, ThriftStructFieldValue, Equatable, CustomStringConvertible {
        public var reason: String
        public var code: Int32

        public init(reason: String, code: Int32) {
            self.reason = reason
            self.code = code
        }

        public init<R: ThriftProtocolReader>(from reader: inout R) throws {
            var reason = ""
            var code: Int32 = 0
            try reader.readStruct { r, field in
                switch field.id {
                case 1: reason = try r.readField(field) ?? ""
                case 2: code = try r.readField(field) ?? 0
                default: return false
                }
                return true
            }
            self.reason = reason
            self.code = code
        }

        public func write<W: ThriftProtocolWriter>(to writer: inout W) {
            writer.writeStruct { w in
                w.writeField(1, reason)
                w.writeField(2, code)
            }
        }

        public var description: String { "WorkFailed(code \(code)): \(reason)" }
    }

    /// `work`'s result: the payload back, or the declared `WorkFailed`.
    public struct WorkResult: ThriftStruct, Equatable {
        public var success: [UInt8]?
        public var failed: WorkFailed?

        public init(success: [UInt8]? = nil, failed: WorkFailed? = nil) {
            self.success = success
            self.failed = failed
        }

        public init<R: ThriftProtocolReader>(from reader: inout R) throws {
            var success: [UInt8]?
            var failed: WorkFailed?
            try reader.readStruct { r, field in
                switch field.id {
                case 0: success = try r.readField(field)
                case 1: failed = try r.readField(field)
                default: return false
                }
                return true
            }
            self.success = success
            self.failed = failed
        }

        public func write<W: ThriftProtocolWriter>(to writer: inout W) {
            writer.writeStruct { w in
                w.writeField(0, success)
                w.writeField(1, failed)
            }
        }
    }
}
