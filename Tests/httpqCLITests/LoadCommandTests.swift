import Foundation
import Testing
import TestSupport

/// `httpq load` run as a process against nginx.
@Suite struct LoadCommandTests {
    @Test func loadsAServerAndReportsLikeWrk() async throws {
        try await offPool {
            let nginx = try Nginx(files: ["index.html": Array(repeating: UInt8(ascii: "x"), count: 600)])
            let result = try ChildProcess.run(CLI.executable, ["load", "-c", "8", "-d", "1", "-t", "2",
                                                               "http://127.0.0.1:\(nginx.port)/index.html"], timeout: .seconds(30))
            #expect(result.status == 0, "\(result.stderrText)")
            let text = result.stdoutText
            #expect(text.contains("2 threads and 8 connections"))
            let rate = text.split(separator: "\n").first { $0.hasPrefix("Requests/sec: ") }
                .flatMap { Double($0.dropFirst("Requests/sec: ".count)) } ?? 0
            #expect(rate > 100, "\(text)")
            #expect(text.contains("Errors: none"), "\(text)")
            #expect(text.contains("Latency   p50 "))
            #expect(text.contains("CPU per request: "))
            withExtendedLifetime(nginx) {}
        }
    }

    @Test func aRefusedServerIsCountedAndExitsOne() async throws {
        try await offPool {
            let result = try ChildProcess.run(CLI.executable, ["load", "-c", "2", "-d", "0.5", "http://127.0.0.1:\(refusedPort())/"],
                                              timeout: .seconds(30))
            #expect(result.status == 1)
            #expect(result.stdoutText.contains("Errors: refused "), "\(result.stdoutText)")
        }
    }
}
