import AdminServer
import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOPosix
import RemoteCluster

/// How to reach daemons' admin endpoints, for `attach` and `record`: the token and the TLS
/// files, checked against the endpoints they are for.
struct AdminConnectionOptions: ParsableArguments {
    @Option(help: "A file with the token for http:// and https:// endpoints (its first token line; NAME:TOKEN is understood).")
    var tokenFile: String?

    @Option(help: "For https://: trust the CA certificates of this PEM file instead of the system trust store.")
    var caFile: String?

    @Option(help: "For https:// to a daemon that requires client certificates: this certificate (PEM), with --key-file.")
    var certFile: String?

    @Option(help: "The private key (PEM) of --cert-file.")
    var keyFile: String?

    /// One client for `endpoints`, each with the token and TLS it needs; a missing token or TLS
    /// files without an https:// endpoint is a `CLIError` that says so.
    func connect(_ endpoints: [AdminEndpoint]) throws -> (http: HTTPClient, remotes: [RemoteCluster]) {
        let token: String?
        do {
            token = try tokenFile.map { try AdminTokens.firstSecret(Self.expand($0)) }
        } catch let error as AdminTokens.FileError {
            throw CLIError(description: error.description)
        }
        if token == nil, let tcp = endpoints.first(where: \.isTCP) {
            throw CLIError(description: "\(tcp) needs --token-file: every path but /healthz of a TCP admin endpoint asks for a token (one of the daemon's [admin] token_file, or read_only_token_file to look only)")
        }
        let tls = AdminClientTLS(caFile: caFile.map(Self.expand), certFile: certFile.map(Self.expand), keyFile: keyFile.map(Self.expand))
        if tls.isSet, !endpoints.contains(where: \.isTLS) {
            throw CLIError(description: "--ca-file, --cert-file and --key-file are for https:// endpoints, and none is given")
        }
        let configuration: HTTPClient.Configuration
        do {
            configuration = try RemoteCluster.httpConfiguration(tls: tls)
        } catch {
            throw CLIError(description: "\(error)")
        }
        let http = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
        return (http, endpoints.map { RemoteCluster(endpoint: $0, http: http, token: $0.isTCP ? token : nil, tls: tls) })
    }

    private static func expand(_ path: String) -> String { (path as NSString).expandingTildeInPath }
}
