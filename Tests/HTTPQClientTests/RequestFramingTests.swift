import Foundation
import Locks
import Testing
import TestSupport
import HTTPQ
import HTTPQClient
import EvLoop
#if canImport(Glibc)
import Glibc
#endif

/// A request built with its body (`Request(body:)`) is sent framed: the client adds the
/// `Content-Length` it lacked (it used to send the body bare, which a server read as the start
/// of the next request: uvicorn answered the next GET on that connection 400), and refuses
/// framing fields that disagree with the body instead of sending them.
@Suite struct RequestFramingTests {
    /// A server that parses what it reads with HTTPQ, request after request on one
    /// connection, and records each (method, body), or the parse error that ended it.
    private static func recordingServer(_ seen: Locked<[String]>) throws -> ScriptedServer {
        try ScriptedServer { fd in
            var request = Request()
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = read(fd, &buffer, buffer.count)
                guard count > 0 else { return }
                var offset = 0
                while offset < count {
                    do {
                        offset += try request.feed(buffer[offset..<count])
                    } catch {
                        seen.withLock { $0.append("error: \(error)") }
                        return ScriptedServer.send(fd, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    }
                    guard request.isComplete else { break }
                    seen.withLock { $0.append("\(request.method) \(String(decoding: request.body, as: UTF8.self))") }
                    ScriptedServer.send(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                    request = Request()
                }
            }
        }
    }

    @Test func aBodyInTheRequestIsFramedAndTheNextRequestFollowsIt() async throws {
        let seen = Locked<[String]>([])
        let server = try Self.recordingServer(seen)
        defer { server.stop() }
        let url = "http://127.0.0.1:\(server.port)/"
        try await withClient(.init(maxConnectionsPerHost: 1)) { client, _ in
            for (method, body) in [("POST", "abcdef"), ("GET", ""), ("PUT", ""), ("DELETE", "gone"), ("GET", "")] {
                let response = try await client.execute(Request(method: method, target: "/", body: Array(body.utf8)), to: url)
                #expect(response.status == 200, "\(method): \(response.status)")
            }
        }
        #expect(seen.withLock { $0 } == ["POST abcdef", "GET ", "PUT ", "DELETE gone", "GET "])
    }

    @Test func framingThatDisagreesWithTheBodyIsRefusedAndNothingIsSent() async throws {
        let seen = Locked<[String]>([])
        let server = try Self.recordingServer(seen)
        defer { server.stop() }
        let url = "http://127.0.0.1:\(server.port)/"
        let body = Array("abcdef".utf8)
        try await withClient { client, _ in
            await #expect(throws: ClientError.invalidRequest("its Content-Length (3) is not its body's size (6 bytes)")) {
                try await client.execute(Request(method: "POST", target: "/", headers: ["Content-Length": "3"], body: body), to: url)
            }
            await #expect(throws: ClientError.invalidRequest("its Content-Length (5) is not its body's size (0 bytes)")) {
                try await client.execute(Request(method: "GET", target: "/", headers: ["Content-Length": "5"]), to: url)
            }
            await #expect(throws: ClientError.invalidRequest("its Transfer-Encoding (gzip) does not end in chunked, so its end could not be found")) {
                try await client.execute(Request(method: "POST", target: "/", headers: ["Transfer-Encoding": "gzip"], body: body), to: url)
            }
            // Framing the caller got right goes out as it is; chunked is chunked by the serializer.
            let chunked = try await client.execute(Request(method: "POST", target: "/", headers: ["Transfer-Encoding": "chunked"], body: body), to: url)
            #expect(chunked.status == 200)
        }
        #expect(seen.withLock { $0 } == ["POST abcdef"])
    }

    /// The same on a bare `Connection`: a body without framing is framed, and a request whose
    /// framing contradicts its body is refused alone (its delegate hears `invalidRequest`,
    /// nothing is written) while the connection goes on to the next.
    @Test func aBareConnectionFramesAndRefusesAloneToo() async throws {
        let seen = Locked<[String]>([])
        let server = try Self.recordingServer(seen)
        defer { server.stop() }
        try await offPool {
            let loop = try EventLoop()
            defer { retire(loop) }
            let transcript = Transcript()
            transcript.stopWhenDone = false
            let connection = try Connection(loop: loop, host: "127.0.0.1", port: server.port, delegate: transcript)
            transcript.onComplete = { [unowned transcript] connection in
                if transcript.responses.count == 2 { connection.loop.stop() }
            }
            let body = Array("abcdef".utf8)
            connection.send(Request(method: "POST", target: "/", headers: ["Host": "x", "Content-Length": "2"], body: body))
            connection.send(Request(method: "POST", target: "/", headers: ["Host": "x"], body: body))
            connection.send(Request(method: "GET", target: "/", headers: ["Host": "x"]))
            runBounded(loop, limit: .seconds(10)) // the transcript stops the loop at the refusal
            if transcript.responses.count < 2 { runBounded(loop, limit: .seconds(10)) }
            #expect(transcript.errors == [.invalidRequest("its Content-Length (2) is not its body's size (6 bytes)")])
            #expect(transcript.responses.map(\.status) == [200, 200])
            #expect(!connection.isClosed)
            connection.close()
        }
        #expect(seen.withLock { $0 } == ["POST abcdef", "GET "])
    }
}
