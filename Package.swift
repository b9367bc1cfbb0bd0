// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "httpq",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "HTTPQ", targets: ["HTTPQ"]),
        .library(name: "EvLoop", targets: ["EvLoop"]),
        .library(name: "HTTPQClient", targets: ["HTTPQClient"]),
        .library(name: "HTTPQServer", targets: ["HTTPQServer"]),
        .library(name: "Codings", targets: ["Codings"]),
        .library(name: "HistogramLog", targets: ["HistogramLog"]),
        .library(name: "HTTPQServiceLifecycle", targets: ["HTTPQServiceLifecycle"]),
        .executable(name: "httpq", targets: ["httpq"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: [
        .systemLibrary(name: "CEv", providers: [.apt(["libev-dev"])]),
        .systemLibrary(name: "CAres", providers: [.apt(["libc-ares-dev"])]),
        .systemLibrary(name: "COpenSSL", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CBrotli", providers: [.apt(["libbrotli-dev"])]),
        // Content codings (gzip, deflate, br) decoded slice by slice under limits; the only
        // module that touches CZlib and CBrotli.
        .target(name: "Codings", dependencies: ["CZlib", "CBrotli"]),
        // HdrHistogram's interval log and V2 encoding (hdrhistogram-swift neither writes nor
        // reads them): what `load`, `fetch` and `merge` exchange between machines.
        .target(name: "HistogramLog", dependencies: ["Codings", .product(name: "Histogram", package: "hdrhistogram-swift")]),
        // Locks for the package's shared state: a leaf, so modules below the reactor can lock.
        .target(name: "Locks"),
        // TLS on non-blocking sockets, and the plain-or-TLS channel both sides read and write
        // through; the only module that touches COpenSSL.
        .target(name: "TLS", dependencies: ["COpenSSL", "Sockets", "Locks"]),
        .target(name: "EvLoop", dependencies: ["CEv", "Locks"]),
        // Socket calls, addresses and the write queue shared by the client and the server.
        .target(name: "CLinux"),
        .target(name: "Sockets", dependencies: ["CLinux"]),
        .target(name: "HTTPQ"),
        // A connection taken out of HTTP after 101 (socket, TLS session, bytes already read),
        // shared by the server's and the client's hand-over.
        .target(name: "Upgraded", dependencies: ["EvLoop", "Sockets", "TLS"]),
        .target(
            name: "HTTPQClient",
            dependencies: ["EvLoop", "HTTPQ", "Sockets", "TLS", "Locks", "CAres", "Codings", "Upgraded", .product(name: "Logging", package: "swift-log")]
        ),
        .target(name: "HTTPQServer", dependencies: [
            "EvLoop", "HTTPQ", "Sockets", "TLS", "Locks", "Upgraded",
            .product(name: "Logging", package: "swift-log"), .product(name: "CoreMetrics", package: "swift-metrics"),
        ]),
        // Server and Client as swift-service-lifecycle services: a product of its own, so
        // users who do not run a ServiceGroup do not build it.
        .target(name: "HTTPQServiceLifecycle", dependencies: [
            "HTTPQServer", "HTTPQClient", .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        .executableTarget(
            name: "httpq-service-example",
            dependencies: [
                "HTTPQServiceLifecycle", "HTTPQServer", "HTTPQClient", "EvLoop", "HTTPQ",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"), .product(name: "Logging", package: "swift-log"),
            ],
            path: "Examples/ServiceGroupExample"
        ),
        .executableTarget(
            name: "httpq-gateway-example",
            dependencies: ["HTTPQServer", "HTTPQClient", "EvLoop", "HTTPQ"],
            path: "Examples/Gateway"
        ),
        .executableTarget(
            name: "httpq",
            dependencies: [
                "HTTPQ", "EvLoop", "HTTPQServer", "HTTPQClient", "Locks", "HistogramLog", "CLinux",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Real peers for the tests (nginx, dnsmasq, scripted raw-socket servers, child processes).
        .target(name: "CSpawn", path: "Tests/CSpawn"),
        .target(name: "TestSupport", dependencies: ["CSpawn", "EvLoop", "Locks"], path: "Tests/TestSupport"),
        .testTarget(name: "HTTPQTests", dependencies: ["HTTPQ", "TestSupport"]),
        .testTarget(name: "TLSTests", dependencies: ["TLS", "Sockets", "TestSupport"]),
        .testTarget(name: "CodingsTests", dependencies: ["Codings", "TestSupport"]),
        .testTarget(name: "HistogramLogTests", dependencies: [
            "HistogramLog", "TestSupport", .product(name: "Histogram", package: "hdrhistogram-swift"),
        ]),
        .testTarget(name: "EvLoopTests", dependencies: ["EvLoop", "Locks", "TestSupport"]),
        .testTarget(
            name: "HTTPQClientTests",
            dependencies: ["HTTPQClient", "EvLoop", "HTTPQ", "Locks", "TestSupport", "Codings", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(name: "SocketsTests", dependencies: ["Sockets", "CLinux"]),
        .testTarget(name: "HTTPQServerTests", dependencies: [
            "HTTPQServer", "HTTPQClient", "EvLoop", "HTTPQ", "Locks", "TestSupport",
            .product(name: "Logging", package: "swift-log"), .product(name: "MetricsTestKit", package: "swift-metrics"),
        ]),
        .testTarget(name: "httpqCLITests", dependencies: ["httpq", "httpq-service-example", "httpq-gateway-example", "TestSupport", "Codings"]),
    ]
)
