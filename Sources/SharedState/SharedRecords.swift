import ClusterModel
import ClusterPool
import Foundation

/// How a cluster's shared state is laid out under its prefix, so that
/// `etcdctl get --prefix /thrifttop/CLUSTER/` reads like a table:
///
///     /thrifttop/prod/nodes/db-3    {"action":"drain db-3","drained":true,"instance":"serve-a","time":"…","user":"alice"}
///     /thrifttop/prod/history/20261202T051203.123456Z-serve-a   {"action":"drain db-3","node":"db-3",…}
public struct SharedKeys: Sendable, Equatable {
    public let prefix: String

    public init(prefix: String) { self.prefix = prefix }

    public var nodes: String { prefix + "nodes/" }
    public var history: String { prefix + "history/" }
    public func node(_ name: String) -> String { nodes + name }

    /// The node a key under `nodes/` names; nil for any other key.
    public func nodeName(of key: String) -> String? {
        guard key.hasPrefix(nodes), key.count > nodes.count else { return nil }
        return String(key.dropFirst(nodes.count))
    }

    /// Sorts by time, then instance: a person reads the history in order.
    public func historyKey(time: Double, instance: String) -> String {
        let stamp = RFC3339.string(fromUnixSeconds: time).filter { $0 != "-" && $0 != ":" }
        return history + "\(stamp)-\(instance)"
    }

    /// How many history entries are kept; older ones are deleted as new ones come.
    public static let historyLimit = 1000
}

/// A node's value under `nodes/`: its operator state and who changed it last.
public struct SharedNodeRecord: Codable, Sendable, Equatable {
    public var drained: Bool
    /// Absent: the config's weight.
    public var weight: Int?
    public var user: String
    public var instance: String
    /// RFC 3339 UTC.
    public var time: String
    public var action: String
    public var reason: String?
    /// Set on a record written back after the store was unreachable: made on that instance alone at `time`.
    public var madeWhileUnreachable: Bool?

    enum CodingKeys: String, CodingKey {
        case drained, weight, user, instance, time, action, reason, madeWhileUnreachable = "made_while_unreachable"
    }

    public init(drained: Bool, weight: Int?, change: OperatorChange) {
        self.drained = drained
        self.weight = weight
        user = change.user
        instance = change.instance
        time = RFC3339.string(fromUnixSeconds: change.time)
        action = change.action
        reason = change.reason
        madeWhileUnreachable = change.localOnly ? true : nil
    }

    public var state: SharedNodeState {
        SharedNodeState(drained: drained, weight: weight, change: OperatorChange(
            user: user, instance: instance, time: RFC3339.unixSeconds(from: time) ?? 0,
            action: action + (madeWhileUnreachable == true ? " (made while etcd was unreachable)" : ""), reason: reason))
    }

    /// "drained, weight 50" / "serving, configured weight": the audit log's before and after.
    public static func describe(_ record: SharedNodeRecord?) -> String {
        (record?.drained == true ? "drained, " : "serving, ") + (record?.weight.map { "weight \($0)" } ?? "configured weight")
    }

    public func encoded() -> [UInt8] { SharedKeys.encode(self) }

    /// The value as etcd holds it, or why it is not a node record (the key's owner named it).
    /// Its texts are cleaned and bounded as any text from the network: they reach every screen.
    public static func decode(_ bytes: [UInt8]) -> Result<SharedNodeRecord, SharedValueError> {
        let decoded: SharedNodeRecord
        do {
            decoded = try JSONDecoder().decode(SharedNodeRecord.self, from: Data(bytes))
        } catch {
            let text = TextSanitizer.clean(String(decoding: bytes.prefix(60), as: UTF8.self), maximumLength: 60)
            return .failure(SharedValueError(description: "not a thrifttop node state (\(Self.problem(error)); JSON with \"drained\", \"user\", \"instance\", \"time\", \"action\"; got \"\(text)\"\(bytes.count > 60 ? "…" : ""))"))
        }
        var record = decoded
        record.user = TextSanitizer.clean(record.user, maximumLength: 100)
        record.instance = TextSanitizer.clean(record.instance, maximumLength: 64)
        record.action = TextSanitizer.clean(record.action, maximumLength: 200)
        record.reason = record.reason.map(OperatorRequest.clean)
        if let weight = record.weight, !OperatorCommand.weightRange.contains(weight) {
            return .failure(SharedValueError(description: "weight \(weight) is outside \(OperatorCommand.weightRangeText)"))
        }
        guard RFC3339.unixSeconds(from: record.time) != nil else {
            return .failure(SharedValueError(description: "time \"\(record.time)\" is not an RFC 3339 time"))
        }
        return .success(record)
    }
}

extension SharedNodeRecord {
    /// Which field a decoding error is about, said briefly.
    static func problem(_ error: any Error) -> String {
        switch error as? DecodingError {
        case let .keyNotFound(key, _)?: "\"\(key.stringValue)\" is missing"
        case let .typeMismatch(_, context)?, let .valueNotFound(_, context)?:
            "\"\(context.codingPath.map(\.stringValue).joined(separator: "."))\" has the wrong type"
        default: "not JSON"
        }
    }
}

extension SharedKeys {
    /// One line of JSON with sorted keys: what every value under the prefix looks like.
    static func encode(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array((try? encoder.encode(value)) ?? Data())
    }
}

/// Why a value under the prefix was not taken.
public struct SharedValueError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
}

/// One line of the shared history (`history/`): an operator action that changed the shared state.
struct SharedHistoryRecord: Codable {
    var time: String
    var user: String
    var instance: String
    var action: String
    var node: String
    var before: String
    var after: String
    var reason: String?

    func encoded() -> [UInt8] { SharedKeys.encode(self) }
}
