import Foundation
import Testing
import TestSupport

/// `httpq serve` against Node's `http` client with a keep-alive agent (four sockets), as a
/// Node service calls an upstream (`TestPeers/node_client.js`): whole files in turn and forty
/// at once, a 700 KB PUT Node sends chunked (no length given), HEAD, a range, a 304, and a
/// PUT that waits for `100 Continue`. (curl, wget and aria2c are in `ServeCommandTests`.)
@Suite struct NodeClientTests {
    /// What a client peer (`node_client.js`, `go_client.go`) reports when `httpq serve`
    /// answered it as it should.
    static func expectEveryAnswer(_ outcome: [String: Any]) {
        #expect(outcome["sequential"] as? Int == 20, "\(outcome)")
        #expect(outcome["parallel"] as? Int == 40, "\(outcome)")
        #expect(outcome["chunkedPut"] as? [AnyHashable] == [201, 200, "same bytes"], "\(outcome)")
        #expect(outcome["head"] as? [AnyHashable] == [200, "5000000", 0], "\(outcome)")
        #expect(outcome["range"] as? [AnyHashable] == [206, "same bytes"], "\(outcome)")
        #expect(outcome["notModified"] as? [AnyHashable] == [304, 0], "\(outcome)")
        #expect(outcome["expectContinue"] as? Int == 201, "\(outcome)")
    }

    static let node = ChildProcess.which("node") ?? "/usr/bin/node"

    /// Not skipped when Node is missing: `scripts/setup.sh` (the README's test command)
    /// installs it, and a run without it fails saying so.
    @Test func nodesKeepAliveAgentGetsEveryAnswer() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.node), "Node is not installed: run scripts/setup.sh")
        try await offPool {
            let served = try ServeCommandTests.Served(extra: ["--allow-put"])
            let script = CLI.packageRoot.appendingPathComponent("TestPeers/node_client.js").path
            let run = try ChildProcess.run(Self.node, [script, served.base, served.root.appendingPathComponent("big.bin").path],
                                           timeout: .seconds(120))
            let outcome = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout)) as? [String: Any],
                                       "\(run.stdoutText) \(run.stderrText)")
            Self.expectEveryAnswer(outcome)
        }
    }
}
