// swift-tools-version: 6.1
//
// Module stack (one-way, see DESIGN.md; `make test` checks the imports against it):
//   ThriftWire, ClusterModel (values), ConfigFormat (located TOML reads)
//   ClusterModel → TLSSupport (swift-nio-ssl: PEM files, server contexts a reload replaces)
//   → ClusterPool → ThriftProxy, AdminServer, DemoCluster
//   ClusterModel → RemoteCluster (AsyncHTTPClient: attach to a daemon's admin endpoint)
//   EtcdClient (AsyncHTTPClient: etcd's v3 JSON gateway); ClusterPool + EtcdClient → SharedState
//   ClusterModel → DashboardKit (pure UI) → CursesTerminal (curses, theme files)
//   → thrifttop
import PackageDescription

let strict: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "thrifttop",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "thrifttop", targets: ["thrifttop"]),
        .library(name: "ThriftWire", targets: ["ThriftWire"]),
        .library(name: "ClusterModel", targets: ["ClusterModel"]),
        .library(name: "ClusterPool", targets: ["ClusterPool"]),
        .library(name: "ThriftProxy", targets: ["ThriftProxy"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.81.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/LebJe/TOMLKit.git", from: "0.6.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.1.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        // Already built for AsyncHTTPClient: TLS to servers, listeners, the admin endpoint, etcd.
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.29.0"),
        // The pool records through swift-metrics and logs through swift-log, so an embedder's
        // own backends get both; serve and the dashboard export Prometheus text (AdminServer).
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        .target(
            name: "ThriftWire",
            dependencies: ["CZlib", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strict
        ),
        // The system zlib, for THeader's zlib transform and recordings.
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        // Recordings of a cluster's snapshots (files of zlib chunks) and their replay.
        .target(name: "Recording", dependencies: ["ClusterModel", "CZlib"], swiftSettings: strict),
        // The values every module shares (snapshots, events, operator commands) and their JSON
        // form: no NIO, so a dashboard or a remote client needs nothing else.
        .target(name: "ClusterModel", swiftSettings: strict),
        // TLS files read into swift-nio-ssl with errors that name the key and path, server
        // contexts a reload replaces, certificates as an operator reads them.
        .target(
            name: "TLSSupport",
            dependencies: [
                "ClusterModel",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        // Located reads of TOML files (cluster configs, scenarios, themes): file:line: key: message.
        .target(
            name: "ConfigFormat",
            dependencies: ["ClusterModel", .product(name: "TOMLKit", package: "TOMLKit")],
            swiftSettings: strict
        ),
        .target(
            name: "ClusterPool",
            dependencies: [
                "ThriftWire", "ClusterModel", "ConfigFormat", "TLSSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // Listeners: client connections, header-only parsing, seqid rewriting, per-call routing.
        .target(
            name: "ThriftProxy",
            dependencies: [
                "ThriftWire", "ClusterModel", "ClusterPool", "TLSSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        // The admin endpoint (HTTP/1.1 over a Unix socket, or TCP with tokens: loopback, or any
        // address over TLS).
        .target(
            name: "AdminServer",
            dependencies: [
                "ClusterModel", "ClusterPool", "TLSSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict
        ),
        // `thrifttop attach`: a daemon's admin endpoint as a live feed of snapshots (the stream's
        // deltas applied by node name), its commands, and how reachable it is. No pool runtime.
        .target(
            name: "RemoteCluster",
            dependencies: [
                "ClusterModel", "TLSSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strict
        ),
        // etcd v3 through its JSON gateway: reads, puts, transactions, watches, failover between
        // members, auth tokens, TLS. Knows nothing of thrifttop's state (ClusterModel for its text
        // sanitizer, TLSSupport to show the certificate a failed TLS check was about); the shared
        // store builds on it.
        .target(
            name: "EtcdClient",
            dependencies: [
                "ClusterModel", "TLSSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strict
        ),
        // Operator state shared by every instance on an etcd prefix: decisions in etcd
        // transactions (the capacity floor for the whole cluster), a watch, the local cache.
        .target(
            name: "SharedState",
            dependencies: [
                "ClusterModel", "ClusterPool", "EtcdClient", "TLSSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "DemoCluster",
            dependencies: [
                "ThriftWire", "ClusterModel", "ConfigFormat", "ClusterPool",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .target(name: "DashboardKit", dependencies: ["ClusterModel"], swiftSettings: strict),
        .systemLibrary(
            name: "CNcurses",
            providers: [.apt(["libncurses-dev"])]
        ),
        .target(name: "CursesTerminal", dependencies: ["ClusterModel", "ConfigFormat", "DashboardKit", "CNcurses"], swiftSettings: strict),
        .executableTarget(
            name: "thrifttop",
            dependencies: [
                "ThriftWire", "ClusterModel", "ConfigFormat", "ClusterPool", "ThriftProxy", "AdminServer", "RemoteCluster", "EtcdClient", "SharedState", "DemoCluster", "DashboardKit", "CursesTerminal", "TLSSupport", "Recording",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        // Built for real only by `make fuzz` (with -DFUZZING and libFuzzer); a plain build makes a
        // corpus replayer out of the same entry point, so the target never rots.
        .executableTarget(
            name: "ThriftFuzz",
            dependencies: ["ThriftWire", "DemoCluster", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strict
        ),
        .testTarget(name: "RecordingTests", dependencies: ["Recording", "ClusterModel"], swiftSettings: strict),
        .testTarget(
            name: "ThriftWireTests",
            dependencies: [
                "ThriftWire", "DemoCluster",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: strict
        ),
        .testTarget(name: "ClusterModelTests", dependencies: ["ClusterModel"], swiftSettings: strict),
        .testTarget(
            name: "DemoClusterTests",
            dependencies: [
                "ThriftWire", "ConfigFormat", "ClusterPool", "DemoCluster",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ClusterPoolTests",
            dependencies: [
                "ThriftWire", "ClusterModel", "ConfigFormat", "ClusterPool", "DemoCluster", "TLSHarness", "TLSSupport",
                // The operator rules' agreement test: the dashboard's preview and the etcd decision.
                "DashboardKit", "SharedState", "EtcdClient",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "DashboardKitTests",
            dependencies: ["ClusterModel", "ConfigFormat", "DashboardKit", "CursesTerminal", "ClusterPool"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "AdminServerTests",
            dependencies: [
                "AdminServer", "ClusterModel", "ClusterPool", "DemoCluster", "ThriftProxy", "RemoteCluster", "TLSHarness", "TLSSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "RemoteClusterTests",
            dependencies: [
                "RemoteCluster", "AdminServer", "ClusterModel", "ClusterPool", "DemoCluster",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        // A real etcd per test (free ports, data on tmpfs, killed by PID): used only by tests.
        .target(name: "EtcdHarness", path: "Tests/EtcdHarness", swiftSettings: strict),
        // Certificates made with openssl at test time (scripts/make-test-certs.sh).
        .target(name: "TLSHarness", path: "Tests/TLSHarness", swiftSettings: strict),
        .testTarget(
            name: "SharedStateTests",
            dependencies: [
                "EtcdClient", "EtcdHarness", "TLSHarness", "SharedState", "ClusterModel", "ClusterPool", "DemoCluster", "DashboardKit",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "thrifttop", "ThriftWire", "ClusterPool", "DemoCluster", "EtcdHarness", "TLSHarness",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "InteropTests",
            dependencies: [
                "ThriftWire", "ClusterModel", "ClusterPool", "ThriftProxy", "DemoCluster", "TLSHarness", "TLSSupport",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
    ]
)
