import Foundation
import HTTPQ
import HTTPQClient
import EvLoop
import Testing
import TestSupport

/// A finished request leaves nothing behind: its delegate (and with it the request, the
/// response, the redirect chain, the decoder) is freed, whatever stands between them.
@Suite struct LifetimeTests {
    final class Watched: RequestDelegate, @unchecked Sendable {
        let done: DispatchSemaphore
        init(_ done: DispatchSemaphore) { self.done = done }
        func request(didComplete response: Response) { done.signal() }
        func request(didFail error: ClientError) { done.signal() }
    }

    @Test(arguments: ["plain", "redirects followed", "a redirect hop", "decompression"])
    func theDelegateIsFreedOnceTheRequestEnds(_ path: String) async throws {
        try await offPool {
            let origin = try RecordingOrigin { request in
                request.line.hasPrefix("GET /hop ") ? RecordingOrigin.redirect("/end") : RecordingOrigin.ok()
            }
            defer { origin.stop() }
            var configuration = Client.Configuration(redirects: path == "plain" ? .off : .follow())
            if path == "decompression" { configuration.decompression = .on() }
            let thread = try EventLoopThread()
            let client = Client(loops: [thread.loop], configuration: configuration)
            defer { client.shutdown(); try? thread.shutdown() }
            weak var watched: Watched?
            let done = DispatchSemaphore(value: 0)
            do {
                let delegate = Watched(done)
                watched = delegate
                client.execute(Request(method: "GET", target: "/"), to: "http://127.0.0.1:\(origin.port)/\(path == "a redirect hop" ? "hop" : "x")",
                               delegate: delegate)
            }
            done.wait()
            // The pool lets go of the request on the loop, right after the callback.
            for _ in 0..<100 where watched != nil { usleep(10_000) }
            #expect(watched == nil, "the request (and its delegate) stayed alive after it ended")
        }
    }
}
