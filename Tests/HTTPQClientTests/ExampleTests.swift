import TestSupport
import Testing
import EvLoop
import HTTPQ
import HTTPQClient

// The issue's program, as written.
final class Recorder: ConnectionDelegate {
    var states: [State] = []
    var bodyBytes = 0
    var response: Response?
    var failure: (any Error)?
    func connection(_ connection: Connection, didChange state: State, of response: Response) { states.append(state) }
    func connection(_ connection: Connection, didReceiveBody bytes: RawSpan) { bodyBytes += bytes.byteCount }
    func connection(_ connection: Connection, didComplete response: Response) { self.response = response; connection.loop.stop() }
    func connection(_ connection: Connection, didFail error: any Error) { failure = error; connection.loop.stop() }
}

func example(port: Int) throws {
    let loop = try EventLoop()
    let recorder = Recorder()
    let connection = try Connection(loop: loop, host: "127.0.0.1", port: port, delegate: recorder)
    connection.send(Request(method: "GET", target: "/", version: "HTTP/1.1", headers: ["Host": "127.0.0.1"]))
    loop.run()
    precondition(recorder.states == [.headers, .body] && recorder.response?.status == 200)
    connection.close()
}

@Suite struct ExampleTests {
    @Test func issueExampleAgainstNginx() async throws {
        try await offPool {
            let nginx = try Nginx(files: ["index.html": Array("hello from nginx\n".utf8)])
            try withExtendedLifetime(nginx) { try example(port: nginx.port) }
        }
    }
}
