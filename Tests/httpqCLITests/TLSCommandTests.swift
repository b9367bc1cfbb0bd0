import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `httpq serve --tls-cert --tls-key` and `httpq fetch`/`load` over https, as processes,
/// with certificates from a test CA made by openssl.
@Suite struct TLSCommandTests {
    static let pki = TestCertificates.shared
    static let curl = ChildProcess.which("curl") ?? "/usr/bin/curl"

    func served() throws -> ServeCommandTests.Served {
        try ServeCommandTests.Served(extra: ["--tls-cert", Self.pki.serverCertificate, "--tls-key", Self.pki.serverKey])
    }

    @Test func serveSpeaksHTTPSAndALargeFileArrivesIntact() async throws {
        try await offPool {
            let served = try served()
            #expect(served.base.hasPrefix("https://127.0.0.1:"))
            let out = served.root.deletingLastPathComponent().appendingPathComponent("download")
            let result = try ChildProcess.run(Self.curl, ["-sS", "--noproxy", "*", "--cacert", Self.pki.caCertificate,
                                                          "-w", "%{http_code} %{ssl_verify_result}", "-o", out.path,
                                                          "\(served.base)/big.bin"])
            #expect(result.status == 0 && result.stdoutText == "200 0", "\(result.stderrText)")
            let intact = try Data(contentsOf: out) == Data(contentsOf: served.root.appendingPathComponent("big.bin"))
            #expect(intact, "the 5 MB file (read through the queue: sendfile cannot encrypt)")
        }
    }

    @Test func fetchTrustsTheGivenCAAndRefusesWhatItCannotVerify() async throws {
        try await offPool {
            let served = try served()
            let urls = ["\(served.base)/", "\(served.base)/big.bin", "\(served.base)/docs/site.css"]
            let trusted = try CLI.run(["fetch", "--json", "--cacert", Self.pki.caCertificate] + urls, input: [])
            #expect(trusted.status == 0, "\(trusted.stderr)")
            #expect(trusted.objects.map { $0["status"] as? Int } == [200, 200, 200])
            #expect(trusted.objects.compactMap { $0["bytes"] as? Int }.sorted() == [9, 14, 5_000_000])

            let untrusted = try CLI.run(["fetch", "--json", "\(served.base)/"], input: [])
            #expect(untrusted.status == 1)
            let error = untrusted.objects.first?["error"] as? String ?? ""
            #expect(error.hasPrefix("certificate of 127.0.0.1 not trusted:"), "\(error)")
            #expect(untrusted.stderr.contains("tls-untrusted 1"))

            let insecure = try CLI.run(["fetch", "--json", "--insecure", "\(served.base)/"], input: [])
            #expect(insecure.status == 0 && insecure.objects.first?["status"] as? Int == 200, "\(insecure.stderr)")
        }
    }

    @Test func loadRunsOverKeptAliveTLS() async throws {
        try await offPool {
            let served = try served()
            // 2 s, not 0.5: under the whole parallel suite four TLS handshakes once took longer
            // than half a second and the run ended with no request answered (exit 1).
            let result = try CLI.run(["load", "-c", "4", "-d", "2", "--cacert", Self.pki.caCertificate,
                                      "\(served.base)/docs/site.css"], input: [])
            #expect(result.status == 0, "\(result.stderr) \(result.stdout)")
            #expect(result.stdout.contains("Errors: none"), "\(result.stdout)")
        }
    }

    @Test func tlsOptionsThatCannotWorkAreRefused() async throws {
        try await offPool {
            let alone = try CLI.run(["serve", "--tls-cert", Self.pki.serverCertificate], input: [])
            #expect(alone.status == 2 && alone.stderr.contains("--tls-cert and --tls-key go together"), "\(alone.stderr)")
            let missing = try CLI.run(["serve", "--listen", "127.0.0.1:0", "--tls-cert", "/nonexistent.pem",
                                       "--tls-key", Self.pki.serverKey], input: [])
            #expect(missing.status == 1 && missing.stderr.contains("cannot use /nonexistent.pem: No such file or directory"),
                    "\(missing.stderr)")
            let mismatched = try CLI.run(["serve", "--listen", "127.0.0.1:0", "--tls-cert", Self.pki.serverCertificate,
                                          "--tls-key", Self.pki.wrongNameKey], input: [])
            #expect(mismatched.status == 1 && mismatched.stderr.contains("does not match certificate"), "\(mismatched.stderr)")
            let badCA = try CLI.run(["fetch", "--cacert", "/nonexistent-ca.pem", "https://127.0.0.1:1/"], input: [])
            #expect(badCA.status == 1 && badCA.stderr.contains("cannot use /nonexistent-ca.pem"), "\(badCA.stderr)")
        }
    }
}
