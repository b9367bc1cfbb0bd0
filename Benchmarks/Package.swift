// swift-tools-version: 6.1
// Benchmarks live in their own package so the main build stays light.
// Run: swift package --package-path Benchmarks benchmark   (see Docs/Performance.md)
import PackageDescription

let package = Package(
    name: "httpq-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: "Dependencies/httpq"),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.0", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    ],
    targets: [
        // The same work written in C: llhttp (Debian node-llhttp's sources) and libev.
        .target(
            name: "CPeers",
            cSettings: [.unsafeFlags(["-O2", "-I/usr/share/include/llhttp"])],
            linkerSettings: [.linkedLibrary("ev"), .linkedLibrary("pthread")]
        ),
        // The workloads every benchmark and Compare run, written once.
        .target(
            name: "Workloads",
            dependencies: [
                .product(name: "HTTPQ", package: "httpq"),
                .product(name: "EvLoop", package: "httpq"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "Compare",
            dependencies: [
                "Workloads", "CPeers",
                .product(name: "HTTPQ", package: "httpq"),
                .product(name: "EvLoop", package: "httpq"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "ClientMemory",
            dependencies: [
                "CPeers",
                .product(name: "HTTPQClient", package: "httpq"),
                .product(name: "EvLoop", package: "httpq"),
                .product(name: "HTTPQ", package: "httpq"),
            ]
        ),
        // AsyncHTTPClient as a load generator, the peer of `httpq load`.
        .executableTarget(
            name: "AHCLoad",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "ParserProfile",
            dependencies: ["Workloads", .product(name: "HTTPQ", package: "httpq")]
        ),
        .executableTarget(
            name: "ReactorProfile",
            dependencies: ["Workloads", "CPeers", .product(name: "EvLoop", package: "httpq")]
        ),
        .executableTarget(
            name: "ParserBenchmarks",
            dependencies: [
                "CPeers", "Workloads",
                .product(name: "HTTPQ", package: "httpq"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/ParserBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "ReactorBenchmarks",
            dependencies: [
                "CPeers", "Workloads",
                .product(name: "EvLoop", package: "httpq"),
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Benchmarks/ReactorBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
