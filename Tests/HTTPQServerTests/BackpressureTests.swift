import Foundation
import HTTPQ
import HTTPQServer
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A client that never reads: the server's memory stays bounded and others are served.
/// In a process of its own, since it measures resident memory.
@Suite struct BackpressureTests {
    @Test func clientThatNeverReadsDoesNotGrowTheServer() async {
        await #expect(processExitsWith: .success) {
            let server = try TestServer(handler: testRoutes)
            let before = residentKiB()
            // Ask for 1 GiB of generated body and never read it.
            let stalled = try RawClient(port: server.port)
            stalled.send("GET /stream?1073741824 HTTP/1.1\r\nHost: x\r\n\r\n")
            usleep(1_500_000)
            let during = residentKiB()
            precondition(during - before < 32 * 1024, "the server buffered what the client did not read: +\(during - before) KiB")
            // Everyone else is still served.
            let other = try RawClient(port: server.port)
            other.send("GET /other HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            precondition(responses(in: other.readToEnd().bytes).first?.text == "GET /other 0\n", "another client was not served")
            server.stop(gracePeriod: .milliseconds(100))
        }
    }
}

private func residentKiB() -> Int {
    let status = readTextFile("/proc/self/status")
    let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
    return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0
}
