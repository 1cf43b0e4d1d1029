import Foundation

/// The JSON of etcd's v3 gateway (grpc-gateway over etcd's protobufs): keys and values are
/// base64, int64 fields are JSON strings, and proto3 leaves out every field at its default
/// (`succeeded` when false, `kvs` and `count` when empty, `version` of a deleted key…), so an
/// absent number or flag reads as 0 or false.
enum EtcdJSON {
    /// A part of an answer that does not have the gateway's shape; the client adds which
    /// endpoint and request it was.
    struct Unexpected: Error {
        var detail: String
    }

    // MARK: - Requests

    static func encode(_ object: [String: Any]) -> Data {
        // Only strings, booleans, arrays and dictionaries go in: serialising them cannot fail.
        (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
    }

    static func base64(_ text: String) -> String { base64(Array(text.utf8)) }
    static func base64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }

    /// `key` and `range_end` covering every key that starts with `prefix`. etcd rejects an empty
    /// key, so the empty prefix (all keys) is sent as etcd's own tools send it: from "\0" to "\0".
    static func prefixRange(_ prefix: String) -> [String: Any] {
        let bytes = Array(prefix.utf8)
        return ["key": base64(bytes.isEmpty ? [0] : bytes), "range_end": base64(prefixEnd(bytes))]
    }

    /// etcd's range end for a prefix: the prefix with its last byte incremented, after dropping
    /// trailing 0xff bytes; "\0" (no upper bound) when nothing is left.
    static func prefixEnd(_ prefix: [UInt8]) -> [UInt8] {
        var end = prefix
        while let last = end.last {
            if last < 0xff {
                end[end.count - 1] = last + 1
                return end
            }
            end.removeLast()
        }
        return [0]
    }

    static func compare(_ compare: EtcdCompare) -> [String: Any] {
        switch compare {
        case let .noneModifiedSince(prefix, revision):
            prefixRange(prefix).merging(
                ["target": "MOD", "result": "LESS", "mod_revision": String(revision + 1)], uniquingKeysWith: { $1 })
        case let .modRevision(key, revision):
            ["key": base64(key), "target": "MOD", "result": "EQUAL", "mod_revision": String(revision)]
        }
    }

    static func operation(_ operation: EtcdOperation) -> [String: Any] {
        switch operation {
        case let .put(key, value):
            ["request_put": ["key": base64(key), "value": base64(value)]]
        case let .delete(key):
            ["request_delete_range": ["key": base64(key)]]
        case let .deleteRange(from, to):
            ["request_delete_range": ["key": base64(from), "range_end": base64(to)]]
        }
    }

    // MARK: - Answers

    /// A whole answer (or one line of a watch) as a JSON object.
    static func object(_ bytes: some Sequence<UInt8>) throws -> [String: Any] {
        let data = Data(bytes)
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw Unexpected(detail: "an answer that is not a JSON object: \(String(decoding: data.prefix(200), as: UTF8.self))")
        }
        return object
    }

    /// The header's revision, which every successful answer carries.
    static func headerRevision(_ answer: [String: Any]) throws -> Int64 {
        guard let header = answer["header"] as? [String: Any] else {
            throw Unexpected(detail: "an answer without a header")
        }
        let revision = try int64(header, "revision")
        guard revision > 0 else { throw Unexpected(detail: "a header without a revision") }
        return revision
    }

    static func keyValues(_ answer: [String: Any]) throws -> [EtcdKeyValue] {
        guard let kvs = answer["kvs"] else { return [] }
        guard let list = kvs as? [Any] else { throw Unexpected(detail: "\"kvs\" that is not a list") }
        return try list.map(keyValue)
    }

    static func keyValue(_ any: Any) throws -> EtcdKeyValue {
        guard let kv = any as? [String: Any] else { throw Unexpected(detail: "a key-value that is not an object") }
        // A key is bytes to etcd; one written by hand that is not UTF-8 still reads (with U+FFFD)
        // rather than failing the whole range.
        let key = String(decoding: try bytes(kv, "key"), as: UTF8.self)
        guard !key.isEmpty else { throw Unexpected(detail: "a key-value without a key") }
        return EtcdKeyValue(
            key: key, value: try bytes(kv, "value"),
            createRevision: try int64(kv, "create_revision"), modRevision: try int64(kv, "mod_revision"),
            version: try int64(kv, "version"))
    }

    /// An int64 field: a JSON string of digits (grpc-gateway writes int64 so); absent is 0.
    static func int64(_ object: [String: Any], _ name: String) throws -> Int64 {
        switch object[name] {
        case nil: return 0
        case let text as String:
            guard let value = Int64(text) else { throw Unexpected(detail: "\"\(name)\" that is not a number: \"\(text.prefix(40))\"") }
            return value
        default:
            throw Unexpected(detail: "\"\(name)\" that is not a number")
        }
    }

    /// A bytes field: base64; absent is empty.
    static func bytes(_ object: [String: Any], _ name: String) throws -> [UInt8] {
        guard let value = object[name] else { return [] }
        guard let text = value as? String, let data = Data(base64Encoded: text) else {
            throw Unexpected(detail: "\"\(name)\" that is not base64")
        }
        return Array(data)
    }

    static func flag(_ object: [String: Any], _ name: String) -> Bool { object[name] as? Bool ?? false }

    /// What an error answer says: `{"error": "…", "message": "…", "code": N}` from a unary call,
    /// `{"error": {"message": "…", "grpc_code": N, …}}` inside a watch stream.
    static func failure(_ answer: [String: Any]) -> (message: String, code: Int)? {
        if let inner = answer["error"] as? [String: Any] {
            return (inner["message"] as? String ?? "no message", inner["grpc_code"] as? Int ?? 2)
        }
        guard answer["error"] != nil || answer["code"] != nil else { return nil }
        let message = answer["message"] as? String ?? answer["error"] as? String ?? "no message"
        return (message, answer["code"] as? Int ?? 2)
    }
}

// MARK: - Watch responses

/// One line of a watch stream, decoded.
enum EtcdWatchResponse {
    /// The watch exists now; history follows.
    case created
    /// Events, or none (a progress notification): see `EtcdWatchBatch.revision`.
    case batch(EtcdWatchBatch)
    /// etcd ended the watch: history compacted (`compactRevision` > 0) or refused (`reason`).
    case canceled(compactRevision: Int64, reason: String)
    /// The gateway's own error line (the stream to etcd broke).
    case failed(message: String, code: Int)
}

extension EtcdJSON {
    static func watchResponse(_ line: [String: Any]) throws -> EtcdWatchResponse {
        if let failure = failure(line) { return .failed(message: failure.message, code: failure.code) }
        guard let result = line["result"] as? [String: Any] else {
            throw Unexpected(detail: "a watch line with neither \"result\" nor \"error\"")
        }
        if flag(result, "canceled") {
            return .canceled(compactRevision: try int64(result, "compact_revision"), reason: result["cancel_reason"] as? String ?? "")
        }
        let events = try (result["events"] as? [Any] ?? []).map(watchEvent)
        if events.isEmpty && flag(result, "created") { return .created }
        let revision = try events.last.map(\.revision) ?? headerRevision(result)
        return .batch(EtcdWatchBatch(revision: revision, events: events))
    }

    static func watchEvent(_ any: Any) throws -> EtcdWatchEvent {
        guard let event = any as? [String: Any], let kv = event["kv"] else {
            throw Unexpected(detail: "a watch event without a key-value")
        }
        switch event["type"] as? String {
        case nil, "PUT":
            return .put(try keyValue(kv))
        case "DELETE":
            guard let kv = kv as? [String: Any] else { throw Unexpected(detail: "a delete event without a key") }
            let key = String(decoding: try bytes(kv, "key"), as: UTF8.self)
            return .delete(key: key, modRevision: try int64(kv, "mod_revision"))
        case let other?:
            throw Unexpected(detail: "a watch event of unknown type \"\(other.prefix(40))\"")
        }
    }
}

extension EtcdWatchEvent {
    /// The revision of the write that made this change.
    var revision: Int64 {
        switch self {
        case let .put(kv): kv.modRevision
        case let .delete(_, revision): revision
        }
    }
}
