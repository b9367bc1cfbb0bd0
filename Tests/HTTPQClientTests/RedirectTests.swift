import Foundation
import HTTPQ
import HTTPQClient
import Locks
import Testing
import TestSupport

/// The client follows redirects itself, on real sockets: methods and bodies per status,
/// credentials per origin, one deadline, cancellation of a chain, a body sent twice only
/// when it can be.
@Suite struct RedirectTests {
    @Test func aPostAfter307IsSentAgainWithItsBodyAndAfter303BecomesAGet() async throws {
        let landing = try RecordingOrigin { _ in RecordingOrigin.ok("landed") }
        defer { landing.stop() }
        let origin = try RecordingOrigin { request in
            request.line.hasPrefix("POST /keep ") ? RecordingOrigin.redirect("http://127.0.0.1:\(landing.port)/kept", status: 307)
                : RecordingOrigin.redirect("http://127.0.0.1:\(landing.port)/got", status: 303)
        }
        defer { origin.stop() }
        try await withClient { client, _ in
            for path in ["/keep", "/see"] {
                let request = Request(method: "POST", target: "/", headers: ["Content-Length": "5", "Content-Type": "text/plain"],
                                      body: Array("hello".utf8))
                let response = try await client.execute(request, to: "http://127.0.0.1:\(origin.port)\(path)")
                #expect(response.status == 200 && String(decoding: response.body, as: UTF8.self) == "landed")
            }
        }
        let hops = landing.received
        #expect(hops.map(\.line) == ["POST /kept HTTP/1.1", "GET /got HTTP/1.1"])
        #expect(hops.first.map { String(decoding: $0.body, as: UTF8.self) } == "hello")
        #expect(hops.last.map { $0.body.isEmpty && !$0.has("Content-Length") && !$0.has("Content-Type") } == true, "\(hops.last?.head ?? "")")
        #expect(hops.allSatisfy { $0.head.contains("Host: 127.0.0.1:\(landing.port)\r\n") })
    }

    @Test func aStreamedBodyIsNotSentTwice() async throws {
        let origin = try RecordingOrigin { _ in RecordingOrigin.redirect("/again", status: 308) }
        defer { origin.stop() }
        try await withClient { client, _ in
            let body = UploadBody.pull(length: 3) { writer in writer.write(Array("abc".utf8)); writer.end() }
            await #expect(throws: ClientError.redirectNeedsBody(status: 308)) {
                try await client.execute(Request(method: "PUT", target: "/"), body: body, to: "http://127.0.0.1:\(origin.port)/put")
            }
        }
        #expect(origin.received.count == 1)
    }

    @Test func aFileBodyIsSentAgainFromItsStart() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("redirect-\(getpid()).txt").path
        try Data("from the file".utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let origin = try RecordingOrigin { request in
            request.line.hasPrefix("PUT /first ") ? RecordingOrigin.redirect("/second", status: 307) : RecordingOrigin.ok()
        }
        defer { origin.stop() }
        try await withClient { client, _ in
            let response = try await client.execute(Request(method: "PUT", target: "/"), body: try UploadBody.file(path),
                                                    to: "http://127.0.0.1:\(origin.port)/first")
            #expect(response.status == 200)
        }
        #expect(origin.received.map { String(decoding: $0.body, as: UTF8.self) } == ["from the file", "from the file"])
    }

    /// The delegate hears each hop and only the answer's head and body; the redirects'
    /// bodies ("redirect!") never reach it.
    @Test func theDelegateHearsOnlyTheAnswer() async throws {
        let origin = try RecordingOrigin { request in
            request.line.hasPrefix("GET /3 ") ? RecordingOrigin.ok("answer")
                : RecordingOrigin.redirect("/\(Int(request.line.dropFirst(5).prefix(1))! + 1)")
        }
        defer { origin.stop() }
        final class Recorder: RequestDelegate, @unchecked Sendable {
            var events: [String] = []
            let done: CheckedContinuation<Void, Never>
            init(_ done: CheckedContinuation<Void, Never>) { self.done = done }
            func request(didRedirect response: Response, to url: HTTPURL) { events.append("redirect \(response.status) \(url.target)") }
            func request(didChange state: State, of response: Response) { events.append("\(state) \(response.status)") }
            func request(didReceiveBody bytes: RawSpan) { bytes.withUnsafeBytes { events.append("body \(String(decoding: $0, as: UTF8.self))") } }
            func request(didComplete response: Response) { events.append("complete \(response.status)"); done.resume() }
            func request(didFail error: ClientError) { events.append("fail \(error)"); done.resume() }
        }
        let recorder = Locked<Recorder?>(nil)
        try await withClient { client, _ in
            await withCheckedContinuation { continuation in
                let delegate = Recorder(continuation)
                recorder.withLock { $0 = delegate }
                client.execute(Request(method: "GET", target: "/"), to: "http://127.0.0.1:\(origin.port)/0", delegate: delegate)
            }
        }
        let events = recorder.withLock { $0?.events ?? [] }
        #expect(events == ["redirect 302 /1", "redirect 302 /2", "redirect 302 /3", "headers 200", "body 200", "body answer", "complete 200"],
                "\(events)")
    }

    @Test func offReturnsTheRedirectItself() async throws {
        let origin = try RecordingOrigin { _ in RecordingOrigin.redirect("/elsewhere", status: 301) }
        defer { origin.stop() }
        try await withClient(.init(redirects: .off)) { client, _ in
            let response = try await client.get("http://127.0.0.1:\(origin.port)/")
            #expect(response.status == 301 && response.headers["Location"] == "/elsewhere")
            #expect(String(decoding: response.body, as: UTF8.self) == "redirect!")
        }
        #expect(origin.received.count == 1)
    }

    @Test func aLoopFailsWithoutRunningToTheLimit() async throws {
        let origin = try RecordingOrigin { request in
            RecordingOrigin.redirect(request.line.hasPrefix("GET /a ") ? "/b" : "/a")
        }
        defer { origin.stop() }
        _ = try await withClient { client, _ in
            await #expect(throws: ClientError.redirectLoop("http://127.0.0.1:\(origin.port)/a")) {
                try await client.get("http://127.0.0.1:\(origin.port)/a")
            }
        }
        #expect(origin.received.count == 2)
    }

    /// Cancelling the Task during the second hop ends the chain at once, and no hop follows.
    @Test func cancellingEndsTheChainWhereverItIs() async throws {
        let secondHopArrived = Locked(false)
        let release = DispatchSemaphore(value: 0)
        let origin = try RecordingOrigin { request in
            if request.line.hasPrefix("GET /first ") { return RecordingOrigin.redirect("/slow") }
            secondHopArrived.withLock { $0 = true }
            _ = release.wait(timeout: .now() + 30) // answers only once the test is done (or 30 s)
            return RecordingOrigin.ok()
        }
        defer {
            release.signal()
            origin.stop()
        }
        _ = try await withClient { client, _ in
            let task = Task { try await client.get("http://127.0.0.1:\(origin.port)/first") }
            while !secondHopArrived.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(10)) }
            task.cancel()
            // Not cancelled, the call would wait for the hop's answer, which comes only after this.
            await #expect(throws: ClientError.cancelled) { try await task.value }
        }
        #expect(origin.received.count == 2)
    }
}
