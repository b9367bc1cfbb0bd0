import Foundation
import EvLoop
import HTTPQ
import HTTPQClient
import HTTPQServer
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The server over TLS, against curl, Python's ssl module, our own client and raw sockets
/// that misbehave; certificates from a test CA made by openssl.
@Suite struct TLSServerTests {
    static let pki = TestCertificates.shared
    static let curl = ChildProcess.which("curl") ?? "/usr/bin/curl"

    static func context() throws -> TLSServerContext {
        try TLSServerContext(certificateChainFile: pki.serverCertificate, privateKeyFile: pki.serverKey)
    }

    static func tlsServer(headerTimeout: Duration = .seconds(10)) throws -> TestServer {
        let context = try context()
        return try TestServer({
            $0.tls = context
            $0.headerTimeout = headerTimeout
            $0.maxBodyBytes = 16 << 20
        }, handler: testRoutes)
    }

    static func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("httpq-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test func curlVerifiesTheServerReusesTheConnectionAndGetsLargeBodiesIntact() async throws {
        try await offPool {
            let server = try Self.tlsServer()
            defer { server.stop() }
            let directory = try Self.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let upload = TestBytes.make(count: 3_000_000, seed: 23)
            try Data(upload).write(to: directory.appendingPathComponent("up.bin"))
            let base = "https://localhost:\(server.port)"
            // A streamed 8 MB body (backpressure through TLS), then an upload on the same connection.
            let output = try ChildProcess.run(Self.curl, [
                "-sS", "--noproxy", "*", "--cacert", Self.pki.caCertificate,
                "-w", "%{http_code} %{num_connects} %{http_version} %{ssl_verify_result}\\n",
                "-o", directory.appendingPathComponent("stream").path, "\(base)/stream?8000000",
                "-o", directory.appendingPathComponent("echo").path, "--data-binary", "@\(directory.appendingPathComponent("up.bin").path)",
                "\(base)/up",
            ])
            #expect(output.status == 0, "\(output.stderrText)")
            #expect(output.stdoutText == "200 1 1.1 0\n200 0 1.1 0\n", "one verified connection for both")
            let streamed = try Data(contentsOf: directory.appendingPathComponent("stream"))
            // Compared first: a failed #expect on megabyte arrays would spend minutes diffing them.
            let streamedIntact = Array(streamed) == Pump.expected(total: 8_000_000)
            #expect(streamedIntact, "streamed \(streamed.count) bytes")
            let echoed = try Data(contentsOf: directory.appendingPathComponent("echo"))
            let echoedIntact = Array(echoed) == Array("POST /up 3000000\n".utf8) + upload
            #expect(echoedIntact, "echoed \(echoed.count) bytes: \(String(decoding: echoed.prefix(80), as: UTF8.self))")
        }
    }

    @Test func curlWithoutTheTestCARefusesTheServer() async throws {
        try await offPool {
            let server = try Self.tlsServer()
            defer { server.stop() }
            let output = try ChildProcess.run(Self.curl, ["-sS", "--noproxy", "*", "https://localhost:\(server.port)/x"])
            #expect(output.status == 60, "curl's 'peer certificate cannot be authenticated': \(output.stderrText)")
        }
    }

    @Test func ourClientAndServerTalkTLSBothWays() async throws {
        let server = try Self.tlsServer()
        defer { server.stop() }
        let thread = try EventLoopThread()
        let options = ConnectionOptions(tls: try TLSClientContext(trust: .certificateFile(Self.pki.caCertificate)))
        let client = Client(loops: [thread.loop], configuration: .init(maxConnectionsPerHost: 2, connection: options))
        defer {
            client.shutdown()
            try? thread.shutdown()
        }
        let body = TestBytes.make(count: 2_500_000, seed: 5)
        for index in 0..<6 {
            let sent = index % 2 == 0 ? body : []
            let request = Request(method: "POST", target: "/", headers: ["Content-Length": "\(sent.count)"], body: sent)
            let response = try await client.execute(request, to: "https://127.0.0.1:\(server.port)/echo\(index)")
            let expected = Array("POST /echo\(index) \(request.body.count)\n".utf8) + request.body
            let intact = response.body == expected
            #expect(response.status == 200 && intact, "request \(index): \(response.status), \(response.body.count) bytes")
        }
    }

    @Test func aClientThatNeverFinishesTheHandshakeIsCutOff() async throws {
        try await offPool {
            let server = try Self.tlsServer(headerTimeout: .milliseconds(300))
            defer { server.stop() }
            let silent = try RawClient(port: server.port, timeout: .seconds(5))
            let partial = try RawClient(port: server.port, timeout: .seconds(5))
            _ = partial.send([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]) // a ClientHello's first bytes, no more
            let started = ContinuousClock.now
            #expect(silent.readToEnd().closed && partial.readToEnd().closed)
            #expect(ContinuousClock.now - started < .seconds(3), "cut off by the header timeout")
            withExtendedLifetime((silent, partial)) {}
        }
    }

    @Test func plainHTTPOnTheTLSPortIsClosedAndTheServerGoesOn() async throws {
        try await offPool {
            let server = try Self.tlsServer()
            defer { server.stop() }
            let plain = try RawClient(port: server.port, timeout: .seconds(5))
            _ = plain.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            let answer = plain.readToEnd()
            #expect(answer.closed)
            #expect(!String(decoding: answer.bytes, as: UTF8.self).contains("HTTP/1.1"), "no plain answer")
            let output = try ChildProcess.run(Self.curl, ["-sS", "--noproxy", "*", "--cacert", Self.pki.caCertificate,
                                                          "https://127.0.0.1:\(server.port)/after"])
            #expect(output.stdoutText == "GET /after 0\n", "\(output.stderrText)")
        }
    }

    /// `Tests/Scripts/tls_probe.py MODE PORT CA [OFFER]`: Python's ssl module as the client.
    static func probe(_ arguments: [String]) throws -> String {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Scripts/tls_probe.py").path
        let output = try ChildProcess.run(ChildProcess.which("python3") ?? "/usr/bin/python3", [script] + arguments)
        return output.stdoutText + output.stderrText
    }

    @Test func alpnAgreesOnHTTP11AndRefusesClientsThatSpeakOnlySomethingElse() async throws {
        try await offPool {
            let server = try Self.tlsServer()
            defer { server.stop() }
            let agreed = try Self.probe(["alpn", "\(server.port)", Self.pki.caCertificate, "h2,http/1.1"])
            #expect(agreed == "selected http/1.1\n")
            let refusal = try Self.probe(["alpn", "\(server.port)", Self.pki.caCertificate, "h2"])
            #expect(refusal.hasPrefix("refused") && refusal.contains("no application protocol"), "\(refusal)")
        }
    }

    @Test func aReturningClientResumesItsSessionFromATicket() async throws {
        try await offPool {
            let server = try Self.tlsServer()
            defer { server.stop() }
            let output = try Self.probe(["resume", "\(server.port)", Self.pki.caCertificate])
            #expect(output == "TLSv1.3 full\nTLSv1.3 reused\n")
        }
    }

    @Test func unusableCertificatesAndKeysAreTypedErrors() throws {
        #expect(throws: TLSError.keyDoesNotMatchCertificate(certificate: Self.pki.serverCertificate, key: Self.pki.wrongNameKey)) {
            try TLSServerContext(certificateChainFile: Self.pki.serverCertificate, privateKeyFile: Self.pki.wrongNameKey)
        }
        #expect(throws: TLSError.unusableFile(path: "/nonexistent.pem", reason: "No such file or directory")) {
            try TLSServerContext(certificateChainFile: "/nonexistent.pem", privateKeyFile: Self.pki.serverKey)
        }
        // A key where the certificate should be.
        do {
            _ = try TLSServerContext(certificateChainFile: Self.pki.serverKey, privateKeyFile: Self.pki.serverKey)
            Issue.record("a key was accepted as a certificate")
        } catch {
            guard case .unusableFile(let path, _) = error else { return #expect(Bool(false), "\(error)") }
            #expect(path == Self.pki.serverKey)
        }
    }
}
