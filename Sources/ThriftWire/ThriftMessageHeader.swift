/// The four Thrift message types.
public enum ThriftMessageType: UInt8, Sendable, CustomStringConvertible {
    case call = 1
    case reply = 2
    case exception = 3
    case oneway = 4

    public var description: String {
        switch self {
        case .call: "CALL"
        case .reply: "REPLY"
        case .exception: "EXCEPTION"
        case .oneway: "ONEWAY"
        }
    }
}

/// The envelope in front of every Thrift message: method name, message type and sequence id.
public struct ThriftMessageHeader: Sendable, Equatable, CustomStringConvertible {
    public var name: String
    public var type: ThriftMessageType
    public var sequenceID: Int32

    public init(name: String, type: ThriftMessageType, sequenceID: Int32) {
        self.name = name
        self.type = type
        self.sequenceID = sequenceID
    }

    public var description: String { "\(type) \(name) seqid=\(sequenceID)" }
}
