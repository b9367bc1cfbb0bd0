import TestSupport
import Foundation
import Testing
import EvLoop
import HTTPQ
@testable import HTTPQClient
#if canImport(Glibc)
import Glibc
#endif

/// https against a real nginx with certificates from a test CA made by openssl: what is
/// trusted is fetched intact, what is not is refused with an error that says why.
@Suite struct TLSTests {
    static let pki = TestCertificates.shared
    static let large = TestBytes.make(count: 6_000_000, seed: 41)

    /// The test CA, checks on.
    static func trustingTestCA() throws -> TLSClientContext {
        try TLSClientContext(trust: .certificateFile(pki.caCertificate))
    }

    static func httpsNginx(certificate: String = pki.serverCertificate, key: String = pki.serverKey,
                           extraConfig: String = "") throws -> Nginx {
        try Nginx(files: ["small.txt": Array("small\n".utf8), "large.bin": large], extraConfig: extraConfig,
                  tls: (certificate, key))
    }

    @Test func fetchesSmallAndLargeBodiesIntactByAddressAndByName() async throws {
        let nginx = try Self.httpsNginx()
        let options = ConnectionOptions(tls: try Self.trustingTestCA())
        try await withClient(.init(connection: options)) { client, _ in
            for host in ["127.0.0.1", "localhost"] {
                let small = try await client.get("https://\(host):\(nginx.port)/small.txt")
                #expect(small.status == 200 && small.body == Array("small\n".utf8), "\(host)")
                let large = try await client.get("https://\(host):\(nginx.port)/large.bin")
                let intact = large.body == Self.large // compared first: #expect would diff megabytes on failure
                #expect(large.status == 200 && intact, "\(host): \(large.body.count) bytes")
            }
        }
        withExtendedLifetime(nginx) {}
    }

    @Test func keptAliveConnectionsCarryManyRequestsAndNewOnesResumeTheSession() async throws {
        // nginx says which connection served each request, and whether its TLS session was resumed.
        let nginx = try Self.httpsNginx(extraConfig: """
            add_header X-Connection $connection always; add_header X-Reused $ssl_session_reused always;
            location = /close { keepalive_timeout 0; return 200 "bye"; }
            """)
        let options = ConnectionOptions(tls: try Self.trustingTestCA())
        try await withClient(.init(maxConnectionsPerHost: 1, connection: options)) { client, _ in
            var connections: Set<String> = []
            for _ in 0..<5 {
                let response = try await client.get("https://127.0.0.1:\(nginx.port)/small.txt")
                #expect(response.status == 200)
                connections.insert(response.headers["X-Connection"] ?? "?")
            }
            #expect(connections.count == 1, "five requests, one kept-alive TLS connection: \(connections)")
            // The server closes after this one; the next connection resumes the session.
            let closing = try await client.get("https://127.0.0.1:\(nginx.port)/close")
            #expect(closing.status == 200 && closing.headers["X-Reused"] == ".")
            let resumed = try await client.get("https://127.0.0.1:\(nginx.port)/small.txt")
            #expect(resumed.status == 200 && resumed.headers["X-Reused"] == "r", "the second connection resumes")
            #expect(resumed.headers["X-Connection"] != closing.headers["X-Connection"])
        }
        withExtendedLifetime(nginx) {}
    }

    @Test func connectionsOpenedTogetherEachResumeWithATicketOfTheirOwn() async throws {
        // Every request closes its connection; nginx says whether each handshake resumed.
        let nginx = try Self.httpsNginx(extraConfig: """
            location = /close { keepalive_timeout 0; add_header X-Reused $ssl_session_reused always; return 200 "bye"; }
            """)
        let options = ConnectionOptions(tls: try Self.trustingTestCA())
        try await withClient(.init(maxConnectionsPerHost: 4, connection: options)) { client, _ in
            func batch() async throws -> [String] {
                try await withThrowingTaskGroup(of: String.self) { group in
                    for _ in 0..<4 {
                        group.addTask { try await client.get("https://127.0.0.1:\(nginx.port)/close").headers["X-Reused"] ?? "?" }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
            }
            // The first connection pays a full handshake; the others too, unless its tickets
            // arrived before their own handshakes began.
            let first = try await batch()
            #expect(first.contains("."), "\(first)")
            // Each full handshake brought two tickets, each resumption at least one: one each.
            for round in 1...3 {
                let resumed = try await batch()
                #expect(resumed == ["r", "r", "r", "r"], "round \(round): every connection resumed")
            }
        }
        withExtendedLifetime(nginx) {}
    }

    /// Certificates that cannot be trusted, the host asked for, and OpenSSL's reason.
    static let untrustworthy: [(name: String, certificate: String, key: String, host: String, reason: String)] = [
        ("from an untrusted CA", pki.untrustedCertificate, pki.untrustedKey, "127.0.0.1", "unable to get local issuer certificate"),
        ("expired", pki.expiredCertificate, pki.expiredKey, "localhost", "certificate has expired"),
    ]

    @Test(arguments: untrustworthy.indices)
    func certificatesThatCannotBeTrustedAreRefusedSayingWhy(_ index: Int) async throws {
        let (name, certificate, key, host, reason) = Self.untrustworthy[index]
        let nginx = try Self.httpsNginx(certificate: certificate, key: key)
        let options = ConnectionOptions(tls: try Self.trustingTestCA())
        _ = try await withClient(.init(connection: options)) { client, _ in
            await #expect(throws: ClientError.tls(.certificateNotTrusted(host: host, reason: reason)), "\(name)") {
                try await client.get("https://\(host):\(nginx.port)/small.txt")
            }
        }
        withExtendedLifetime(nginx) {}
    }

    @Test(.enabled(if: ipv6LoopbackAvailable, "IPv6 loopback (::1) is not configured here"))
    func anIPv6AddressIsCheckedAgainstTheCertificate() async throws {
        let nginx = try Nginx(files: ["small.txt": Array("small\n".utf8)], ipv6: true,
                              tls: (Self.pki.serverCertificate, Self.pki.serverKey))
        let options = ConnectionOptions(tls: try Self.trustingTestCA())
        try await withClient(.init(connection: options)) { client, _ in
            let response = try await client.get("https://[::1]:\(nginx.port)/small.txt")
            #expect(response.status == 200 && response.body == Array("small\n".utf8), "::1 is an IP SAN of the certificate")
        }
        withExtendedLifetime(nginx) {}
    }

    @Test func theSystemStoreDoesNotTrustTheTestCA() async throws {
        let nginx = try Self.httpsNginx()
        try await withClient { client, _ in
            let error = await failure { () async throws(ClientError) in try await client.get("https://localhost:\(nginx.port)/small.txt") }
            guard case .tls(.certificateNotTrusted(let host, _))? = error else { return #expect(Bool(false), "\(String(describing: error))") }
            #expect(host == "localhost")
        }
        withExtendedLifetime(nginx) {}
    }

    @Test func aCertificateForAnotherNameIsRefusedForNamesAndAddresses() async throws {
        let nginx = try Self.httpsNginx(certificate: Self.pki.wrongNameCertificate, key: Self.pki.wrongNameKey)
        let options = ConnectionOptions(tls: try Self.trustingTestCA())
        try await withClient(.init(connection: options)) { client, _ in
            for host in ["localhost", "127.0.0.1"] {
                await #expect(throws: ClientError.tls(.nameMismatch(host: host))) {
                    try await client.get("https://\(host):\(nginx.port)/small.txt")
                }
            }
        }
        withExtendedLifetime(nginx) {}
    }

    @Test func insecureSkipsTheChecksOnlyWhenAskedFor() async throws {
        let nginx = try Self.httpsNginx(certificate: Self.pki.untrustedCertificate, key: Self.pki.untrustedKey)
        let options = ConnectionOptions(tls: try TLSClientContext(verifiesPeer: false))
        try await withClient(.init(connection: options)) { client, _ in
            let response = try await client.get("https://127.0.0.1:\(nginx.port)/small.txt")
            #expect(response.status == 200 && response.body == Array("small\n".utf8))
        }
        withExtendedLifetime(nginx) {}
    }

    @Test func unusableCAFilesAreTypedErrors() throws {
        #expect(throws: TLSError.unusableFile(path: "/nonexistent/ca.pem", reason: "No such file or directory")) {
            try TLSClientContext(trust: .certificateFile("/nonexistent/ca.pem"))
        }
        let junk = FileManager.default.temporaryDirectory.appendingPathComponent("httpq-junk-\(UUID().uuidString).pem")
        try Data("not a certificate\n".utf8).write(to: junk)
        defer { try? FileManager.default.removeItem(at: junk) }
        do {
            _ = try TLSClientContext(trust: .certificateFile(junk.path))
            Issue.record("a file without certificates was accepted")
        } catch {
            guard case .unusableFile(let path, let reason) = error else { return #expect(Bool(false), "\(error)") }
            #expect(path == junk.path && !reason.isEmpty)
        }
    }

    @Test func aPlainHTTPServerFailsTheHandshakeAndLeaksNothing() async throws {
        try await offPool {
            let plain = try Nginx(files: ["x": Array("x".utf8)])
            let loop = try EventLoop()
            defer { retire(loop) }
            let transcript = Transcript()
            let connection = try Connection(loop: loop, host: "127.0.0.1", port: plain.port, usesTLS: true,
                                            delegate: transcript, options: ConnectionOptions(tls: try Self.trustingTestCA()))
            connection.send(Request(method: "GET", target: "/x", headers: ["Host": "x"]))
            runBounded(loop, limit: .seconds(5))
            guard case .tls(.handshakeFailed(let reason))? = transcript.errors.first else {
                return #expect(Bool(false), "\(transcript.errors)")
            }
            #expect(reason.contains("wrong version number") || reason.contains("packet length"), "\(reason)")
            #expect(connection.isClosed && connection.fd == -1 && connection.tls == nil, "socket and session released")
            withExtendedLifetime(plain) {}
        }
    }

    @Test func aCloseDelimitedBodyEndedWithoutCloseNotifyIsNotTakenAsComplete() async throws {
        try await offPool {
            // Python's ssl module as the server: it can close with or without close_notify.
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("httpq-abrupt-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let portFile = directory.appendingPathComponent("port").path
            _ = FileManager.default.createFile(atPath: portFile, contents: nil)
            let output = open(portFile, O_WRONLY | O_CLOEXEC)
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("Scripts/tls_abrupt_server.py").path
            let server = try ChildProcess(ChildProcess.which("python3") ?? "/usr/bin/python3",
                                          [script, Self.pki.serverCertificate, Self.pki.serverKey], stdout: output)
            close(output)
            defer { server.kill() }
            var port = 0
            for _ in 0..<500 where port == 0 {
                usleep(10_000)
                port = Int(readTextFile(portFile).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
            }
            #expect(port > 0)
            func fetch(_ path: String) throws -> Transcript {
                let loop = try EventLoop()
                defer { retire(loop) }
                let transcript = Transcript()
                let connection = try Connection(loop: loop, host: "localhost", port: port, usesTLS: true, delegate: transcript,
                                                options: ConnectionOptions(tls: try Self.trustingTestCA()))
                connection.send(Request(method: "GET", target: path, headers: ["Host": "localhost"]))
                runBounded(loop, limit: .seconds(10))
                connection.close()
                return transcript
            }
            let notified = try fetch("/notify")
            #expect(notified.responses.first?.body == Array("hello".utf8), "\(notified.errors)")
            let framed = try fetch("/length")
            #expect(framed.responses.first?.body == Array("hello".utf8), "framed by Content-Length: \(framed.errors)")
            let abrupt = try fetch("/abrupt")
            #expect(abrupt.responses.isEmpty && abrupt.errors == [.tls(.closedWithoutNotify)], "\(abrupt.events)")
        }
    }

    @Test func aServerThatNeverAnswersTheHandshakeTimesOut() async throws {
        try await offPool {
            let silent = try ScriptedServer(script: { fd in
                var byte: UInt8 = 0
                _ = read(fd, &byte, 1) // takes the ClientHello's first byte, answers nothing
                usleep(2_000_000)
            })
            let options = ConnectionOptions(connectTimeout: .milliseconds(300), tls: try Self.trustingTestCA())
            let loop = try EventLoop()
            defer { retire(loop) }
            let transcript = Transcript()
            let connection = try Connection(loop: loop, host: "127.0.0.1", port: silent.port, usesTLS: true,
                                            delegate: transcript, options: options)
            connection.send(Request(method: "GET", target: "/", headers: ["Host": "x"]))
            runBounded(loop, limit: .seconds(5))
            #expect(transcript.errors == [.timedOut(.connect)])
            withExtendedLifetime(silent) {}
        }
    }

    @Test func aServerThatClosesMidHandshakeIsAHandshakeFailure() async throws {
        try await offPool {
            let closing = try ScriptedServer(script: { fd in
                var buffer = [UInt8](repeating: 0, count: 512)
                _ = read(fd, &buffer, buffer.count) // the ClientHello, then hang up
            })
            let loop = try EventLoop()
            defer { retire(loop) }
            let transcript = Transcript()
            let connection = try Connection(loop: loop, host: "127.0.0.1", port: closing.port, usesTLS: true,
                                            delegate: transcript, options: ConnectionOptions(tls: try Self.trustingTestCA()))
            connection.send(Request(method: "GET", target: "/", headers: ["Host": "x"]))
            runBounded(loop, limit: .seconds(5))
            guard case .tls(.handshakeFailed(let reason))? = transcript.errors.first else {
                return #expect(Bool(false), "\(transcript.errors)")
            }
            #expect(reason.contains("closed") || reason.contains("reset"), "\(reason)")
            withExtendedLifetime(closing) {}
        }
    }
}

/// The error `body` ended with (nil when it succeeded).
func failure(_ body: () async throws(ClientError) -> Response) async -> ClientError? {
    do {
        _ = try await body()
        return nil
    } catch {
        return error
    }
}
