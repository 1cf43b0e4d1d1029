import ClusterModel
import Glibc
import NIOCore
import NIOEmbedded
import Testing
import ThriftWire
@testable import ClusterPool

/// A pool on an `EmbeddedEventLoop` whose nodes are scripted in-memory Thrift servers: the real
/// client handler, framing and pool logic, with time that moves only when the test says. Every
/// heartbeat, timeout and detection rule can then be checked at exact instants.
///
/// Time starts at 0 on the loop; `at(ms)` moves it to that many milliseconds after the start.
final class DrivenCluster {
    let loop = EmbeddedEventLoop()
    let core: PoolCore
    let servers: [String: ScriptedServer]
    private(set) var stopped = false

    /// `interval` 100 ms and tick 10 ms unless changed: a heartbeat's timeout is then 80 ms
    /// (`PoolCore.heartbeatTimeout`), enforced at the tick after it, 90 ms after the send.
    /// `spare` servers are not in the config, for a reload to add.
    init(_ names: [String], spare: [String] = [], seed: UInt64 = 1, configure: (inout ClusterConfig) -> Void = { _ in },
         settings: (inout NodeSettings) -> Void = { _ in }, store: (any OperatorStore)? = nil,
         options: (inout PoolOptions) -> Void = { _ in }, before start: (DrivenCluster) -> Void = { _ in }) throws {
        var nodeSettings = NodeSettings()
        nodeSettings.heartbeatInterval = .milliseconds(100)
        nodeSettings.callTimeout = .milliseconds(200)
        // No details calls in the way of heartbeats unless a test wants them.
        nodeSettings.detailsInterval = .seconds(3600)
        settings(&nodeSettings)
        var servers: [String: ScriptedServer] = [:]
        for name in names + spare { servers[name] = ScriptedServer(name: name, loop: loop) }
        self.servers = servers
        var config = ClusterConfig(name: "driven", nodes: names.enumerated().map { index, name in
            NodeConfig(name: name, address: NodeAddress(host: "127.0.0.1", port: 9000 + index), settings: nodeSettings)
        })
        configure(&config)
        let connector: PoolCore.Connector = { [servers] node, _, loop in
            servers[node.name]!.accept(node.settings)
        }
        let store = store ?? MemoryOperatorStore()
        var poolOptions = PoolOptions(seed: seed, wallClock: { 1_800_000_000 }, user: "tester")
        options(&poolOptions)
        core = try PoolCore(config: config, loop: loop, options: poolOptions, connector: connector, operatorStore: store)
        core.ledger.log = OperatorLog(store: core.ledger.log.store, loop: loop) { [loop] work in
            loop.makeCompletedFuture(Result { try work() })
        }
        start(self)
        core.start(restoring: Result { try store.load() })
        loop.run()
    }

    deinit {
        if !stopped { stop() }
    }

    func stop() {
        stopped = true
        _ = core.stop()
        loop.run()
        try? loop.syncShutdownGracefully()
    }

    subscript(name: String) -> ScriptedServer { servers[name]! }

    func node(_ name: String) -> NodeLink { core.nodes[core.lookup.byName[name]!] }
    /// The node as the pool's loop routes to it: its call connections, and the cost of its calls.
    func routed(_ name: String) -> RoutedNode { core.router.nodes[core.lookup.byName[name]!] }
    func health(_ name: String) -> NodeHealth { node(name).state.health }

    /// Moves the clock to `ms` milliseconds (plus `ns` nanoseconds) after the start.
    func at(ms: Int64, ns: Int64 = 0) {
        let target = NIODeadline.uptimeNanoseconds(UInt64(ms * 1_000_000 + ns))
        precondition(target >= loop.now, "time only moves forward")
        loop.advanceTime(to: target)
    }

    var nowMillis: Double { Double(loop.now.uptimeNanoseconds) / 1e6 }

    /// The messages of the events logged so far, for one node or all.
    func events(_ name: String? = nil) -> [PoolEvent] {
        core.events.events().filter { name == nil || $0.node == name }
    }

    /// Advances in `step`s until `condition` holds, returning the time it first held (ms).
    func firstTime(after ms: Int64, until limit: Int64, step: Int64 = 1, _ condition: () -> Bool) -> Int64? {
        var t = ms
        while t <= limit {
            at(ms: t)
            if condition() { return t }
            t += step
        }
        return nil
    }

    /// Sends a call through the balancer; the future completes as the clock moves.
    func call(_ method: String = "work", oneway: Bool = false, idempotent: Bool = false, timeout: TimeAmount = .seconds(1), group: String? = nil) -> EventLoopFuture<PoolReply> {
        let promise = loop.makePromise(of: PoolReply.self)
        core.startCall(PendingCall(method: method, oneway: oneway, encode: { ThriftMessage.encodeStruct(ThriftEmptyStruct(), protocolKind: $0) },
                                   idempotent: idempotent, deadline: loop.now + timeout, group: group, finish: promise.completeWith))
        return promise.futureResult
    }

    func execute(_ command: OperatorCommand, user: String = "tester") throws -> OperatorResult {
        let future = core.execute(OperatorRequest(command), user: user)
        loop.run()
        return try future.wait()
    }
}

/// An in-memory fb303 server for one node, whose behaviour a test sets and changes at will.
/// (Unchecked Sendable: it lives on the test's one embedded loop, which has no other thread.)
final class ScriptedServer: @unchecked Sendable {
    enum Behaviour {
        /// Answers getStatus with this status (and every other fb303 call sensibly).
        case status(FBStatus)
        /// Reads calls and never answers.
        case hang
        /// Answers every call with this TApplicationException.
        case raise(TApplicationException)
        /// Closes the connection on the first call (a server that speaks another transport).
        case closeOnCall
        /// Refuses connections.
        case refuse
    }

    let name: String
    let loop: EmbeddedEventLoop
    var behaviour = Behaviour.status(.alive)
    /// For calls other than fb303's (the ones the balancer routes); nil: as `behaviour`.
    var callBehaviour: Behaviour?
    /// How long a reply takes.
    var latency = TimeAmount.milliseconds(1)
    private(set) var channels: [EmbeddedChannel] = []
    /// When the pool connected, and when calls arrived (ms since the start), by method.
    private(set) var connectTimes: [Double] = []
    private(set) var calls: [(method: String, atMillis: Double)] = []

    init(name: String, loop: EmbeddedEventLoop) {
        self.name = name
        self.loop = loop
    }

    var heartbeats: [Double] { calls.filter { $0.method == "getStatus" }.map(\.atMillis) }
    /// Calls other than heartbeats and fb303 details: what the balancer sent here.
    var routedCalls: Int { calls.filter { $0.method == "work" }.count }

    func accept(_ settings: NodeSettings) -> EventLoopFuture<ThriftConnection> {
        if case .refuse = behaviour {
            return loop.makeFailedFuture(IOError(errnoCode: ECONNREFUSED, reason: "connect"))
        }
        connectTimes.append(Double(loop.now.uptimeNanoseconds) / 1e6)
        let channel = EmbeddedChannel(loop: loop)
        do {
            try channel.pipeline.syncOperations.addHandler(ServerEnd(server: self, settings: settings))
            let connection = try ThriftConnection.attach(to: channel, protocolKind: settings.protocolKind, transport: settings.transport)
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
            channels.append(channel)
            return loop.makeSucceededFuture(connection)
        } catch {
            return loop.makeFailedFuture(error)
        }
    }

    /// The server dies: every connection is reset; with `.refuse`, reconnects fail until changed.
    func crash(thenRefuse: Bool = true) {
        if thenRefuse { behaviour = .refuse }
        for channel in channels where channel.isActive { channel.pipeline.fireErrorCaught(IOError(errnoCode: ECONNRESET, reason: "read")) }
        channels.removeAll()
        // What the close set off (the close future's callbacks) runs now, as a live loop would.
        loop.run()
    }

    fileprivate func received(_ call: ThriftMessage, framed: Bool, protocolKind: ThriftProtocolKind, context: ChannelHandlerContext) {
        calls.append((call.header.name, Double(loop.now.uptimeNanoseconds) / 1e6))
        guard call.header.type != .oneway else { return }
        let header = ThriftMessageHeader(name: call.header.name, type: .reply, sequenceID: call.header.sequenceID)
        var reply: ByteBuffer
        let isFB303 = ["getStatus", "getStatusDetails", "getName", "getVersion", "aliveSince", "getCounters"].contains(call.header.name)
        switch isFB303 ? behaviour : (callBehaviour ?? behaviour) {
        case .hang, .refuse:
            return
        case .closeOnCall:
            context.close(promise: nil)
            return
        case let .raise(exception):
            reply = ThriftMessage.encode(ThriftMessageHeader(name: call.header.name, type: .exception, sequenceID: call.header.sequenceID),
                                         body: exception, protocolKind: protocolKind)
        case let .status(status):
            switch call.header.name {
            case "getStatus": reply = ThriftMessage.encode(header, body: ThriftSuccessResult(success: status), protocolKind: protocolKind)
            case "getStatusDetails", "getName", "getVersion":
                reply = ThriftMessage.encode(header, body: ThriftSuccessResult(success: "\(name) \(call.header.name)"), protocolKind: protocolKind)
            case "aliveSince": reply = ThriftMessage.encode(header, body: ThriftSuccessResult(success: Int64(1_799_999_000)), protocolKind: protocolKind)
            case "getCounters": reply = ThriftMessage.encode(header, body: ThriftSuccessResult(success: ["calls": Int64(1)]), protocolKind: protocolKind)
            default: reply = ThriftMessage.encode(header, body: ThriftEmptyStruct(), protocolKind: protocolKind)
            }
        }
        if framed {
            var frame = ByteBuffer()
            frame.writeInteger(Int32(reply.readableBytes))
            frame.writeBuffer(&reply)
            reply = frame
        }
        let bound = NIOLoopBound(context, eventLoop: loop)
        loop.scheduleTask(in: latency) { [reply] in
            let context = bound.value
            guard context.channel.isActive else { return }
            context.fireChannelRead(NIOAny(reply))
        }
    }
}

/// The server's end of an in-memory connection: sits at the head of the client's pipeline, so
/// everything the client writes comes here, and replies go up the pipeline as reads.
private final class ServerEnd: ChannelOutboundHandler {
    typealias OutboundIn = ByteBuffer
    let server: ScriptedServer
    let settings: NodeSettings

    init(server: ScriptedServer, settings: NodeSettings) {
        self.server = server
        self.settings = settings
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        var bytes = unwrapOutboundIn(data)
        promise?.succeed(())
        let framed = settings.transport == .framed
        if framed { bytes.moveReaderIndex(forwardBy: 4) }
        guard let call = try? ThriftMessage(decoding: bytes, protocolKind: settings.protocolKind) else { return }
        server.received(call, framed: framed, protocolKind: settings.protocolKind, context: context)
    }
}

/// Operator state kept in memory, for driven tests.
final class MemoryOperatorStore: OperatorStore, @unchecked Sendable {
    var state: OperatorState?
    var audits: [AuditRecord] = []
    var failure: String?

    init(state: OperatorState? = nil) { self.state = state }

    func load() throws -> OperatorState? { state }

    func commit(_ state: OperatorState?, audit: AuditRecord) throws {
        if let failure { throw OperatorPersistence.Failure(description: failure) }
        if let state { self.state = state }
        audits.append(audit)
    }
}
