import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Examples/ServiceGroupExample run as a process: a ServiceGroup with a Server and a Client,
/// SIGTERM in the middle of a slow request.
@Suite struct ServiceGroupExampleTests {
    static var executable: String {
        URL(fileURLWithPath: CLI.executable).deletingLastPathComponent().appendingPathComponent("httpq-service-example").path
    }

    @Test func sigtermDrainsTheRequestInFlightThenExitsZero() async throws {
        try await offPool {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("service-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let log = directory.appendingPathComponent("stdout")
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            let output = open(log.path, O_WRONLY | O_CLOEXEC)
            let example = try ChildProcess(Self.executable, [], stdout: output)
            close(output)
            var base: String?
            for _ in 0..<500 where base == nil {
                usleep(10_000)
                base = readTextFile(log.path).split(separator: "\n").first { $0.hasPrefix("listening on ") }
                    .map { String($0.dropFirst("listening on ".count).dropLast()) }
            }
            let url = try #require(base, "\(readTextFile(log.path))")
            let hello = try ChildProcess.run(ServeCommandTests.curl, ["-s", "--noproxy", "*", url + "/"])
            #expect(hello.stdoutText == "hello\n")
            // A slow request in flight, then SIGTERM: it still gets its whole answer.
            let slowOutput = directory.appendingPathComponent("slow")
            _ = FileManager.default.createFile(atPath: slowOutput.path, contents: nil)
            let slowFile = open(slowOutput.path, O_WRONLY | O_CLOEXEC)
            let slow = try ChildProcess(ServeCommandTests.curl, ["-s", "--noproxy", "*", url + "/slow"], stdout: slowFile)
            close(slowFile)
            // SIGTERM once the request is in the server's hands (a loaded machine can take a
            // while to start curl).
            for _ in 0..<1000 where !readTextFile(log.path).contains("slow request received") { usleep(10_000) }
            example.kill(SIGTERM)
            usleep(200_000)
            // No new connections once shutdown began.
            let refused = try ChildProcess.run(ServeCommandTests.curl, ["-s", "--noproxy", "*", "-m", "2", url + "/"])
            #expect(refused.status != 0, "accepted after SIGTERM: \(refused.stdoutText)")
            #expect(slow.wait(timeout: .seconds(10)) == .exited(0))
            #expect(readTextFile(slowOutput.path) == "slow done\n")
            #expect(example.wait(timeout: .seconds(10)) == .exited(0))
            #expect(readTextFile(log.path).hasSuffix("stopped\n"), "\(readTextFile(log.path))")
        }
    }
}
