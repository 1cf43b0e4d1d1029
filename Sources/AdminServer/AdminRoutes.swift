import ClusterModel
import ClusterPool
import Foundation
import NIOHTTP1

/// One answer of the admin endpoint.
struct AdminResponse: Sendable {
    var status: HTTPResponseStatus
    var contentType = "application/json"
    var body: Data
    var headers: [(String, String)] = []

    static func json(_ status: HTTPResponseStatus, _ object: [String: Any]) -> AdminResponse {
        AdminResponse(status: status, body: (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data())
    }

    static func error(_ status: HTTPResponseStatus, _ message: String) -> AdminResponse {
        json(status, ["error": message])
    }
}

/// What each path does. Authorization has been decided before (see `AdminRequestHandler`).
struct AdminRoutes: Sendable {
    let pool: ClusterPool
    /// `GET /v1/stream`'s clients, served by the request handler.
    let streams: AdminStreamHub
    /// Re-reads the cluster file for the caller named (see `AdminServer.start`); nil: none.
    var reload: AdminServer.Reload?
    /// What `GET /metrics` writes; nil: the process exports no metrics.
    var metrics: PrometheusMetrics?

    func respond(method: HTTPMethod, path: String, body: Data, caller: AdminCaller) async -> AdminResponse {
        switch (method, path) {
        case (.GET, "/healthz"):
            return AdminResponse(status: .ok, contentType: "text/plain; charset=utf-8", body: Data("ok\n".utf8))
        case (.GET, "/v1/snapshot"):
            do {
                let snapshot = try await pool.currentSnapshot()
                return AdminResponse(status: .ok, body: Data(snapshot.jsonBytes()))
            } catch {
                return .error(.serviceUnavailable, "the pool is not running: \(error)")
            }
        case (.GET, "/metrics"):
            guard let metrics else { return .error(.notFound, "this process exports no metrics (an embedder passes AdminServer.start its PrometheusMetrics)") }
            return AdminResponse(status: .ok, contentType: PrometheusMetrics.contentType, body: Data(metrics.exposition().utf8))
        case (.POST, "/v1/commands"):
            guard caller.mayAct else { return .error(.forbidden, "\(caller.name) has a read-only token: actions need a token of token_file") }
            let request: OperatorRequest
            switch Self.request(from: body) {
            case let .success(parsed): request = parsed
            case let .failure(problem): return .error(.badRequest, problem.description)
            }
            switch await pool.execute(request, user: caller.name) {
            case let .done(message): return .json(.ok, ["outcome": "done", "message": message])
            case let .refused(reason): return .json(.conflict, ["outcome": "refused", "reason": reason])
            }
        case (.POST, "/v1/reload"):
            guard caller.mayAct else { return .error(.forbidden, "\(caller.name) has a read-only token: a reload needs a token of token_file") }
            guard let reload else { return .json(.conflict, ["outcome": "refused", "reason": "this pool runs without a cluster file to re-read"]) }
            let outcome = await reload(caller.name)
            guard outcome.isDone else { return .json(.conflict, ["outcome": "refused", "reason": outcome.refusal ?? outcome.message]) }
            return .json(.ok, ["outcome": "done", "message": outcome.message, "added": outcome.added, "removed": outcome.removed,
                               "changed": outcome.changed, "listeners_added": outcome.listenersAdded,
                               "listeners_removed": outcome.listenersRemoved, "tls_files_reread": outcome.tlsFilesReread,
                               "not_applied": outcome.notApplied])
        case (_, "/healthz"), (_, "/v1/snapshot"), (_, "/metrics"):
            return AdminResponse(status: .methodNotAllowed, body: Data(#"{"error":"use GET"}"#.utf8), headers: [("Allow", "GET")])
        case (_, "/v1/commands"), (_, "/v1/reload"):
            return AdminResponse(status: .methodNotAllowed, body: Data(#"{"error":"use POST"}"#.utf8), headers: [("Allow", "POST")])
        default:
            return .error(.notFound, "no such path: \(path) (try /v1/snapshot, /v1/stream, /v1/commands, /v1/reload, /metrics or /healthz)")
        }
    }

    struct BodyProblem: Error, CustomStringConvertible {
        var description: String
    }

    /// A JSON value with its type told apart (true is not 1).
    enum Field: Decodable {
        case bool(Bool), number(Double), string(String), other

        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let v = try? c.decode(Bool.self) { self = .bool(v) }
            else if let v = try? c.decode(Double.self) { self = .number(v) }
            else if let v = try? c.decode(String.self) { self = .string(v) }
            else { self = .other }
        }
    }

    /// `{"command": "drain"|"undrain"|"weight"|"reset_weight"|"undo", "node": "NAME", "weight": N,
    /// "force": false, "force_local": false, "reason": "…"}`, each mistake named.
    static func request(from body: Data) -> Result<OperatorRequest, BodyProblem> {
        func fail(_ text: String) -> Result<OperatorRequest, BodyProblem> { .failure(BodyProblem(description: text)) }
        guard !body.isEmpty else { return fail("empty body: send {\"command\": \"drain\", \"node\": \"NAME\"}") }
        let object: [String: Field]
        do {
            object = try JSONDecoder().decode([String: Field].self, from: body)
        } catch DecodingError.typeMismatch {
            return fail("the body must be a JSON object")
        } catch {
            return fail("malformed JSON: the body does not parse as JSON")
        }
        let known: Set = ["command", "node", "weight", "force", "force_local", "reason"]
        if let extra = object.keys.sorted().first(where: { !known.contains($0) }) {
            return fail("unknown field \"\(extra)\" (command, node, weight, force, force_local, reason)")
        }
        var forceLocal = false
        if let value = object["force_local"] {
            guard case let .bool(flag) = value else { return fail("\"force_local\" must be true or false") }
            forceLocal = flag
        }
        var reason: String?
        if let value = object["reason"] {
            guard case let .string(text) = value else { return fail("\"reason\" must be a string") }
            reason = text
        }
        return command(object).map { OperatorRequest($0, forceLocal: forceLocal, reason: reason.map(OperatorRequest.clean)) }
    }

    private static func command(_ object: [String: Field]) -> Result<OperatorCommand, BodyProblem> {
        func fail(_ text: String) -> Result<OperatorCommand, BodyProblem> { .failure(BodyProblem(description: text)) }
        guard let nameField = object["command"] else { return fail("missing \"command\" (drain, undrain, weight, reset_weight or undo)") }
        guard case let .string(name) = nameField else { return fail("\"command\" must be a string") }
        func node() -> Result<String, BodyProblem> {
            guard let value = object["node"] else { return .failure(BodyProblem(description: "\"\(name)\" needs \"node\"")) }
            guard case let .string(text) = value, !text.isEmpty else { return .failure(BodyProblem(description: "\"node\" must be a node's name")) }
            return .success(text)
        }
        var force = false
        if let value = object["force"] {
            guard case let .bool(flag) = value else { return fail("\"force\" must be true or false") }
            force = flag
        }
        switch name {
        case "drain": return node().map { .drain(node: $0, force: force) }
        case "undrain": return node().map { .undrain(node: $0) }
        case "reset_weight": return node().map { .resetWeight(node: $0) }
        case "undo": return .success(.undo)
        case "weight":
            guard let value = object["weight"] else { return fail("\"weight\" needs \"weight\": a number \(OperatorCommand.weightRangeText)") }
            guard case let .number(number) = value, number == number.rounded(), let weight = Int(exactly: number) else {
                return fail("\"weight\" must be a whole number \(OperatorCommand.weightRangeText)")
            }
            return node().map { .setWeight(node: $0, weight: weight, force: force) }
        default:
            return fail("unknown command \"\(name)\" (drain, undrain, weight, reset_weight or undo)")
        }
    }
}
