@testable import EtcdClient
import Foundation
import Testing

/// The gateway's JSON as etcd 3.4 writes it (lines copied from a real watch), and the answers it
/// never writes, which must be refused with what was wrong rather than misread.
struct EtcdJSONTests {
    private func line(_ text: String) throws -> EtcdWatchResponse {
        try EtcdJSON.watchResponse(try EtcdJSON.object(Array(text.utf8)))
    }

    @Test func watchLinesDecodeAsEtcdWritesThem() throws {
        guard case .created = try line(#"{"result":{"header":{"revision":"2"},"created":true}}"#) else {
            Issue.record("a created line is not .created")
            return
        }
        let events = try line(#"{"result":{"header":{"revision":"4"},"events":[{"kv":{"key":"L2EveQ==","create_revision":"3","mod_revision":"3","version":"1","value":"aGVsbG8="}},{"type":"DELETE","kv":{"key":"L2EveQ==","mod_revision":"4"}}]}}"#)
        guard case let .batch(batch) = events else {
            Issue.record("an events line gave \(events)")
            return
        }
        #expect(batch == EtcdWatchBatch(revision: 4, events: [
            .put(EtcdKeyValue(key: "/a/y", value: Array("hello".utf8), createRevision: 3, modRevision: 3, version: 1)),
            .delete(key: "/a/y", modRevision: 4),
        ]))
        guard case let .batch(progress) = try line(#"{"result":{"header":{"revision":"9"}}}"#) else {
            Issue.record("a progress line is not a batch")
            return
        }
        #expect(progress == EtcdWatchBatch(revision: 9, events: []))
        guard case .canceled(3, _) = try line(#"{"result":{"header":{},"canceled":true,"compact_revision":"3"}}"#) else {
            Issue.record("a compacted line is not .canceled at 3")
            return
        }
        guard case .failed("transport is closing", 14) = try line(#"{"error":{"grpc_code":14,"http_code":503,"message":"transport is closing","http_status":"Service Unavailable"}}"#) else {
            Issue.record("a gateway error line is not .failed")
            return
        }
    }

    @Test func answersOfTheWrongShapeAreRefusedNamingTheField() {
        let wrong = [
            (#"{"result":{"header":{"revision":"4"},"events":[{"kv":{"key":"L2E=","mod_revision":"four"}}]}}"#, "\"mod_revision\" that is not a number"),
            (#"{"result":{"header":{"revision":"4"},"events":[{"kv":{"key":"not base64!"}}]}}"#, "\"key\" that is not base64"),
            (#"{"result":{"header":{"revision":"4"},"events":[{"type":"TOUCH","kv":{"key":"L2E="}}]}}"#, "unknown type \"TOUCH\""),
            (#"{"result":{"events":[]}}"#, "without a header"),
            (#"{"other":1}"#, "neither \"result\" nor \"error\""),
            (#"[1,2]"#, "not a JSON object"),
        ]
        for (text, expected) in wrong {
            do {
                let decoded = try line(text)
                Issue.record("\(text) decoded as \(decoded)")
            } catch let error as EtcdJSON.Unexpected {
                #expect(error.detail.contains(expected), "\(text): \(error.detail)")
            } catch {
                Issue.record("\(text): \(error)")
            }
        }
    }

    @Test func linesSplitAcrossReadsAndBlankLinesAreSkipped() throws {
        var lines = LineSplitter(limit: 16)
        #expect(try lines.feed(Array(#"{"a":1}"#.utf8) + [0x0a] + Array(#"{"b""#.utf8)) == [Array(#"{"a":1}"#.utf8)])
        #expect(try lines.feed(Array(#":2}"#.utf8) + [0x0d, 0x0a, 0x0a, 0x20, 0x0a]) == [Array(#"{"b":2}"#.utf8) + [0x0d]])
        #expect(throws: LineSplitter.TooLong.self) { try lines.feed([UInt8](repeating: 0x41, count: 17)) }
    }

    @Test func serverTextIsCleanedOfControlCharacters() {
        #expect(EtcdText.clean("bad\u{1B}[31mred\u{7}\u{202E}\nline") == "badred line", "an escape sequence goes whole")
        #expect(EtcdText.clean(String(repeating: "x", count: 600)).count == EtcdText.maximumLength + 1)
    }
}
