import EvLoop
import HTTPQ
import HTTPQClient
import HTTPQServer
import Testing
import TestSupport

/// The README's https example, as written there (file names pointed at the test PKI).
@Suite struct ReadmeTLSTests {
    @Test func readmeHTTPSExample() async throws {
        let pki = TestCertificates.shared
        let (certificateFile, keyFile, caFile) = (pki.serverCertificate, pki.serverKey, pki.caCertificate)

        // Serve https: a certificate chain (leaf first) and its key.
        let group = try EventLoopGroup(count: 1)
        let tls = try TLSServerContext(certificateChainFile: certificateFile, privateKeyFile: keyFile)
        let server = Server(configuration: .init(addresses: [SocketAddress(ip: "127.0.0.1", port: 0)!], tls: tls),
                            loops: group.loops) { request, responder in
            responder.send(Response(status: 200, reason: "OK", body: Array("secret \(request.target)\n".utf8)))
        }
        let port = try server.start()[0].port

        // Fetch it, trusting one CA (without `tls:`, the system's store), checks on.
        let trust = try TLSClientContext(trust: .certificateFile(caFile))
        let client = Client(loops: group.loops, configuration: .init(connection: ConnectionOptions(tls: trust)))
        let response = try await client.get("https://localhost:\(port)/hello")
        // response.body == Array("secret /hello\n".utf8)

        #expect(response.status == 200 && response.body == Array("secret /hello\n".utf8))
        client.shutdown()
        await server.shutdown()
        try group.shutdown()
    }
}
