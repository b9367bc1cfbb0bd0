import Locks
import TestSupport
import Foundation
import Testing
import EvLoop
import HTTPQ
@testable import HTTPQClient
#if canImport(Glibc)
import Glibc
#endif

@Suite struct HTTPURLTests {
    @Test func parsesHostsPortsAndTargets() throws {
        let plain = try HTTPURL("http://example.com")
        #expect(plain.host == "example.com" && plain.port == 80 && plain.target == "/")
        let full = try HTTPURL("http://127.0.0.1:8080/a/b?x=1#frag")
        #expect(full.host == "127.0.0.1" && full.port == 8080 && full.target == "/a/b?x=1")
        let v6 = try HTTPURL("http://[::1]:9000/z")
        #expect(v6.host == "::1" && v6.port == 9000 && v6.authority == "[::1]:9000")
        #expect(try HTTPURL("http://h?q").target == "/?q")
        let secure = try HTTPURL("https://example.com/x")
        #expect(secure.usesTLS && secure.port == 443 && secure.authority == "example.com")
        let securePort = try HTTPURL("HTTPS://example.com:8443")
        #expect(securePort.usesTLS && securePort.port == 8443 && securePort.authority == "example.com:8443")
        #expect(try HTTPURL("https://example.com:80/").authority == "example.com:80")
    }

    /// `authority` is written byte by byte: every port width, brackets for IPv6, the scheme's
    /// default port left out, as the plain concatenation had it.
    @Test func authorityIsHostAndPortAsTheHostFieldWantsThem() throws {
        for host in ["h", "example.com", "127.0.0.1", "::1", "fe80::1:2", "xn--bcher-kva.example"] {
            for scheme in ["http", "https"] {
                for port in [1, 9, 10, 80, 99, 100, 443, 999, 1000, 8080, 9999, 10000, 65535] {
                    let literal = host.contains(":") ? "[\(host)]" : host
                    let url = try HTTPURL("\(scheme)://\(literal):\(port)/")
                    let expected = port == (scheme == "https" ? 443 : 80) ? literal : "\(literal):\(port)"
                    #expect(url.authority == expected)
                }
            }
        }
    }

    @Test func userInformationIsKeptApartAndNeverShown() throws {
        let url = try HTTPURL("http://ann:p%40ss:w@127.0.0.1:8080/x")
        #expect(url.user == "ann" && url.password == "p@ss:w" && url.host == "127.0.0.1" && url.port == 8080)
        #expect(url.description == "http://127.0.0.1:8080/x", "no credentials in the description")
        #expect(try HTTPURL("http://bob@h/").user == "bob" && HTTPURL("http://bob@h/").password == "")
        #expect(try HTTPURL("http://h/").user == nil)
        #expect(HTTPURL.redacted("http://ann:secret@h:1/p?q=a@b") == "http://ann:***@h:1/p?q=a@b")
        #expect(HTTPURL.redacted("http://ann@h/") == "http://ann@h/")
        #expect(HTTPURL.redacted("not a url") == "not a url")
        #expect(throws: ClientError.invalidURL("http://ann:***@h:99999/", reason: "bad port 99999"), "errors never show the password") {
            try HTTPURL("http://ann:secret@h:99999/")
        }
        #expect(throws: ClientError.self) { try HTTPURL("http://ann:%zz@h/") }
    }

    @Test func aURLsUserInformationIsSentAsBasicAuthorization() async throws {
        let heads = Locked<[String]>([])
        let server = try ScriptedServer { fd in
            heads.withLock { $0.append(ScriptedServer.readHead(fd)) }
            ScriptedServer.send(fd, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        }
        defer { server.stop() }
        try await withClient { client, _ in
            _ = try await client.get("http://Aladdin:open%20sesame@127.0.0.1:\(server.port)/")
            _ = try await client.get("http://x:y@127.0.0.1:\(server.port)/", headers: ["Authorization": "Bearer mine"]) // given: it wins
        }
        let seen = heads.withLock { $0 }
        #expect(seen.first?.contains("Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n") == true, "\(seen)")
        #expect(seen.last?.contains("Authorization: Bearer mine\r\n") == true && seen.last?.contains("Basic") == false)
    }

    @Test func refusesWhatItCannotFetch() {
        #expect(throws: ClientError.invalidURL("ftps://x/", reason: "scheme ftps is neither http nor https, http+unix or https+unix")) {
            try HTTPURL("ftps://x/")
        }
        #expect(throws: ClientError.self) { try HTTPURL("ftp://x/") }
        #expect(throws: ClientError.self) { try HTTPURL("http://:80/") }
        #expect(throws: ClientError.self) { try HTTPURL("http://x:99999/") }
        #expect(throws: ClientError.self) { try HTTPURL("example.com/") }
    }
}

/// RFC 3986 §5.4: every normal and abnormal example of reference resolution.
@Suite struct RedirectResolutionTests {
    @Test(arguments: [
        ("g", "http://a/b/c/g"), ("./g", "http://a/b/c/g"), ("g/", "http://a/b/c/g/"), ("/g", "http://a/g"),
        ("//g", "http://g/"), ("?y", "http://a/b/c/d;p?y"), ("g?y", "http://a/b/c/g?y"), ("#s", "http://a/b/c/d;p?q"),
        ("g#s", "http://a/b/c/g"), ("g?y#s", "http://a/b/c/g?y"), (";x", "http://a/b/c/;x"), ("g;x", "http://a/b/c/g;x"),
        ("g;x?y#s", "http://a/b/c/g;x?y"), ("", "http://a/b/c/d;p?q"), (".", "http://a/b/c/"), ("./", "http://a/b/c/"),
        ("..", "http://a/b/"), ("../", "http://a/b/"), ("../g", "http://a/b/g"), ("../..", "http://a/"),
        ("../../", "http://a/"), ("../../g", "http://a/g"),
        ("../../../g", "http://a/g"), ("../../../../g", "http://a/g"), ("/./g", "http://a/g"), ("/../g", "http://a/g"),
        ("g.", "http://a/b/c/g."), (".g", "http://a/b/c/.g"), ("g..", "http://a/b/c/g.."), ("..g", "http://a/b/c/..g"),
        ("./../g", "http://a/b/g"), ("./g/.", "http://a/b/c/g/"), ("g/./h", "http://a/b/c/g/h"), ("g/../h", "http://a/b/c/h"),
        ("g;x=1/./y", "http://a/b/c/g;x=1/y"), ("g;x=1/../y", "http://a/b/c/y"), ("g?y/./x", "http://a/b/c/g?y/./x"),
        ("HTTP://a/x", "http://a/x"), ("https://other:8443/p", "https://other:8443/p"),
    ])
    func rfc3986Examples(_ reference: String, _ expected: String) throws {
        let base = try HTTPURL("http://a/b/c/d;p?q")
        #expect(try base.resolving(reference).description == expected)
    }

    @Test(arguments: ["file:///etc/passwd", "gopher://a/", "javascript:alert(1)", "http://bad host/", "http://[::1/"])
    func unusableReferencesAreRefused(_ reference: String) throws {
        let base = try HTTPURL("http://a/b")
        #expect(throws: ClientError.self) { try base.resolving(reference) }
    }
}

@Suite struct ClientTests {
    /// Issue 14.6: cancelling the Task of an async request closes its connection at once,
    /// frees its pool slot, and throws `cancelled`.
    @Test func cancellingTheTaskClosesTheConnectionAndFreesTheSlot() async throws {
        let closedSeen = Locked(false)
        let headSeen = Locked(false)
        let silent = try ScriptedServer { fd in
            if !ScriptedServer.readHead(fd).isEmpty { headSeen.withLock { $0 = true } }
            var byte: UInt8 = 0
            if read(fd, &byte, 1) <= 0 { closedSeen.withLock { $0 = true } } // the client went away
        }
        let answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
        let other = try ScriptedServer { fd in while !ScriptedServer.readHead(fd).isEmpty { ScriptedServer.send(fd, answer) } }
        defer { silent.stop(); other.stop() }
        try await withClient(.init(maxConnections: 1)) { client, _ in
            let request = Task { try await client.get("http://127.0.0.1:\(silent.port)/") }
            // Cancel once the request is on the wire (under load, connecting can take a while).
            for _ in 0..<500 where !headSeen.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(10)) }
            request.cancel()
            await #expect(throws: ClientError.cancelled) { _ = try await request.value }
            // The slot is free: the only connection the client may open goes to another host.
            let status = try await client.get("http://127.0.0.1:\(other.port)/", deadline: .now + .seconds(5)).status
            #expect(status == 200)
            for _ in 0..<250 where !closedSeen.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(20)) }
            #expect(closedSeen.withLock { $0 }, "the server never saw the connection close")
        }
    }

    /// Issue 14.6: a cancelled request that waits for a connection leaves the queue; the
    /// running one is unaffected.
    @Test func cancellingAWaitingRequestLeavesTheQueue() async throws {
        let heads = Locked(0)
        let release = Locked(false)
        // Keep-alive; the first answer waits until the second request was cancelled (at most
        // 10 s), so the cancel lands while the second waits, however loaded the machine.
        let server = try ScriptedServer { fd in
            while !ScriptedServer.readHead(fd).isEmpty {
                heads.withLock { $0 += 1 }
                for _ in 0..<1000 where !release.withLock({ $0 }) { usleep(10_000) }
                ScriptedServer.send(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            }
        }
        defer { server.stop() }
        try await withClient(.init(maxConnectionsPerHost: 1)) { client, _ in
            let url = "http://127.0.0.1:\(server.port)/"
            let first = Task { try await client.get(url) }
            // The first holds the host's only connection before the second is asked for.
            for _ in 0..<200 where heads.withLock({ $0 }) == 0 { try await Task.sleep(for: .milliseconds(10)) }
            let second = Task { try await client.get(url) }
            try await Task.sleep(for: .milliseconds(100))
            second.cancel()
            await #expect(throws: ClientError.cancelled) { _ = try await second.value }
            release.withLock { $0 = true }
            let status = try await first.value.status
            #expect(status == 200)
            try await Task.sleep(for: .milliseconds(200))
            #expect(heads.withLock { $0 } == 1, "the cancelled request was sent anyway")
            #expect(server.connectionsAccepted == 1)
        }
    }

    /// Issue 13.2: a request waiting for a slot ends at its deadline (it waited forever).
    @Test func aWaitingRequestEndsAtItsDeadline() async throws {
        let server = try ScriptedServer { fd in _ = ScriptedServer.readHead(fd); usleep(3_000_000) }
        defer { server.stop() }
        try await withClient(.init(maxConnectionsPerHost: 1)) { client, _ in
            let url = "http://127.0.0.1:\(server.port)/"
            client.execute(Request(method: "GET", target: "/"), to: url, delegate: CompletionDelegate { _ in })
            let started = ContinuousClock.now
            // The time is taken when the delegate hears it (on the loop), not when this task
            // resumes: under the whole suite the cooperative pool may resume it much later.
            let (result, ended): (Result<Response, ClientError>, ContinuousClock.Instant) = await withCheckedContinuation { done in
                client.execute(Request(method: "GET", target: "/"), to: url, deadline: .now + .milliseconds(300),
                               delegate: CompletionDelegate { done.resume(returning: ($0, .now)) })
            }
            #expect(throws: ClientError.timedOut(.request)) { _ = try result.get() }
            #expect(ended - started < .seconds(2))
        }
    }

    /// Issue 13.2: with the total limit reached by an idle kept-alive connection, a request
    /// to another host gets the slot at once (it waited for the first server's idle timeout).
    @Test func anIdleConnectionGivesItsSlotToAnotherHost() async throws {
        let answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
        let keepAlive: @Sendable (Int32) -> Void = { fd in
            while !ScriptedServer.readHead(fd).isEmpty { ScriptedServer.send(fd, answer) }
        }
        let first = try ScriptedServer(script: keepAlive), second = try ScriptedServer(script: keepAlive)
        defer { first.stop(); second.stop() }
        try await withClient(.init(maxConnections: 1)) { client, _ in
            #expect(try await client.get("http://127.0.0.1:\(first.port)/").status == 200)
            let started = ContinuousClock.now
            let (result, ended): (Result<Response, ClientError>, ContinuousClock.Instant) = await withCheckedContinuation { done in
                client.execute(Request(method: "GET", target: "/"), to: "http://127.0.0.1:\(second.port)/",
                               deadline: .now + .seconds(5), delegate: CompletionDelegate { done.resume(returning: ($0, .now)) })
            }
            let status = try result.get().status
            #expect(status == 200)
            #expect(ended - started < .seconds(2))
        }
    }

    @Test func manyURLsAcrossHostsReuseConnectionsWithinLimits() async throws {
        var files: [String: [UInt8]] = [:]
        for index in 0..<20 { files["f\(index).txt"] = Array("file \(index)\n".utf8) }
        let servers = try (0..<3).map { _ in try Nginx(files: files) }
        try await withClient(.init(maxConnectionsPerHost: 2)) { client, thread in
            var bodies: [String: String] = [:]
            try await withThrowingTaskGroup(of: (String, String).self) { group in
                for server in servers {
                    for index in 0..<20 {
                        let url = "http://127.0.0.1:\(server.port)/f\(index).txt"
                        group.addTask {
                            let response = try await client.get(url)
                            #expect(response.status == 200)
                            return (url, String(decoding: response.body, as: UTF8.self))
                        }
                    }
                }
                for try await (url, body) in group { bodies[url] = body }
            }
            #expect(bodies.count == 60)
            for (url, body) in bodies {
                let index = url.split(separator: "f").last!.split(separator: ".").first!
                #expect(body == "file \(index)\n")
            }
            let (open, hosts) = try await thread.loop.submit {
                (client.pools[0].openConnections, client.pools[0].hosts.values.map(\.open))
            }
            #expect(hosts.allSatisfy { $0 <= 2 }, "per-host limit")
            #expect(open <= 6)
        }
        withExtendedLifetime(servers) {}
    }

    /// As `httpq fetch` drives it: hosts in turn, as many in flight as the total limit, which
    /// equals the number of hosts. Answers come back out of order, so the next request's host
    /// is often still busy with its last one: it waits for that connection. Before, it closed
    /// another host's idle connection to open its own, and that host did the same next:
    /// ~4,300 connections for 5,000 requests over 100 hosts (here, over a hundred for 240).
    @Test func aHostWhoseConnectionIsBusyWaitsForItInsteadOfTakingAnotherHostsSlot() async throws {
        let hosts = 4, requests = 240
        let servers = try (0..<hosts).map { index in
            try ScriptedServer { fd in
                var answered = 0
                while !ScriptedServer.readHead(fd).isEmpty {
                    answered += 1
                    usleep(UInt32((answered * 7 + index * 3) % 5) * 300) // 0-1.2 ms, differing by host
                    ScriptedServer.send(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                }
            }
        }
        defer { servers.forEach { $0.stop() } }
        try await withClient(.init(maxConnections: hosts, maxConnectionsPerHost: 6)) { client, _ in
            try await withThrowingTaskGroup(of: Int.self) { group in
                var next = 0
                func launch() {
                    let url = "http://127.0.0.1:\(servers[next % hosts].port)/\(next)"
                    next += 1
                    group.addTask { try await client.get(url, deadline: .now + .seconds(20)).status }
                }
                for _ in 0..<hosts { launch() }
                while let status = try await group.next() {
                    #expect(status == 200)
                    if next < requests { launch() }
                }
            }
        }
        let accepted = servers.map(\.connectionsAccepted)
        // One per host when nothing stalls; a stall past `LoopPool.patience` (a loaded machine,
        // a sanitizer; CI runs have seen seconds-long stalls) may move some slots. Before the
        // rule: 182-187 here.
        #expect(accepted.reduce(0, +) <= requests / 6, "connections per host: \(accepted)")
    }

    /// Two keep-alive hosts answering "ok": one after `slowAnswerAfter` microseconds, one at once.
    static func slowAndQuickHosts(slowAnswerAfter delay: UInt32) throws -> (slow: ScriptedServer, quick: ScriptedServer) {
        let answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
        return (try ScriptedServer.keepAlive(answering: answer, after: delay), try ScriptedServer.keepAlive(answering: answer))
    }

    /// The rule's limit: a request that has waited `LoopPool.patience` behind its host's one
    /// slow answer takes a slot another host's connection has left idle as long, instead of
    /// waiting for the slow answer to end.
    @Test func aRequestBehindASlowAnswerTakesALongIdleSlotAfterAWhile() async throws {
        // 6 s: far longer than the patience even if the machine stalls for seconds.
        let (slow, other) = try Self.slowAndQuickHosts(slowAnswerAfter: 6_000_000)
        defer { slow.stop(); other.stop() }
        try await withClient(.init(maxConnections: 2, maxConnectionsPerHost: 2)) { client, _ in
            #expect(try await client.get("http://127.0.0.1:\(other.port)/").status == 200) // idle from now on
            let first = Task { try await client.get("http://127.0.0.1:\(slow.port)/1", deadline: .now + .seconds(20)).status }
            for _ in 0..<200 where slow.connectionsAccepted == 0 { try await Task.sleep(for: .milliseconds(10)) }
            try await Task.sleep(for: .milliseconds(300))
            let second = Task { try await client.get("http://127.0.0.1:\(slow.port)/2", deadline: .now + .seconds(20)).status }
            #expect(try await second.value == 200)
            #expect(try await first.value == 200)
        }
        #expect(slow.connectionsAccepted == 2, "the second request waited for the first's connection")
    }

    /// The pool's slot-taking under hostile hosts — one that stalls every request, one that
    /// resets every connection — beside good ones, the total limit below the host count (slots
    /// taken, patience waited out, deadlines hit): every request ends as its host makes it end,
    /// and once the client is shut down the process holds the descriptors it held before.
    @Test func slotsTakenFromHostileHostsLeaveNoDescriptorBehind() async {
        await #expect(processExitsWith: .success) {
            let ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
            let good = try (0..<3).map { _ in try ScriptedServer.keepAlive(answering: ok, after: 2_000) }
            let stalling = try ScriptedServer { fd in
                _ = ScriptedServer.readHead(fd)
                usleep(1_500_000) // never answers; closes after the client's deadline
            }
            let resetting = try ScriptedServer { fd in
                _ = ScriptedServer.readHead(fd)
                ScriptedServer.reset(fd)
            }
            let ports = good.map(\.port) + [stalling.port, resetting.port]
            func run(_ count: Int, over ports: [Int]) async throws -> [Int: Int] { // 200s per host
                var successes: [Int: Int] = [:]
                try await withClient(.init(maxConnections: 3, maxConnectionsPerHost: 2)) { client, _ in
                    await withTaskGroup(of: (Int, Bool).self) { group in
                        for index in 0..<count {
                            let host = index % ports.count
                            group.addTask {
                                let status = try? await client.get("http://127.0.0.1:\(ports[host])/\(index)",
                                                                   deadline: .now + .milliseconds(800)).status
                                return (host, status == 200)
                            }
                        }
                        for await (host, ok) in group where ok { successes[host, default: 0] += 1 }
                    }
                }
                return successes
            }
            // Warm-up on the good hosts only (a stalled server thread would hold a descriptor
            // past the count): resolver thread, loop buffers.
            _ = try await run(6, over: good.map(\.port))
            // Once the warm-up's server threads have closed their ends too: under load one was
            // still open when counted, and the run ended one below (26, then 25).
            let before = steadyDescriptorCount()
            let successes = try await run(60, over: ports)
            precondition((0..<3).allSatisfy { successes[$0] == 12 }, "good hosts: \(successes)")
            precondition(successes[3] == nil && successes[4] == nil, "hostile hosts answered: \(successes)")
            for _ in 0..<250 where openDescriptorCount() != before { usleep(20_000) }
            let after = openDescriptorCount()
            precondition(after == before, "descriptors before \(before), after \(after)")
            withExtendedLifetime((good, stalling, resetting)) {}
        }
    }

    /// The other side of that rule: a host with more requests waiting than connections still
    /// takes an idle connection of another host, up to its own limit.
    @Test func aHostWithAQueueTakesAnIdleSlotOfAnotherHost() async throws {
        let (slow, other) = try Self.slowAndQuickHosts(slowAnswerAfter: 30_000)
        defer { slow.stop(); other.stop() }
        try await withClient(.init(maxConnections: 2, maxConnectionsPerHost: 2)) { client, _ in
            #expect(try await client.get("http://127.0.0.1:\(other.port)/").status == 200) // idle now, holding a slot
            try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<8 {
                    group.addTask { try await client.get("http://127.0.0.1:\(slow.port)/\(index)", deadline: .now + .seconds(20)).status }
                }
                for try await status in group { #expect(status == 200) }
            }
        }
        #expect(slow.connectionsAccepted == 2, "the queued host took the idle host's slot")
    }

    @Test(.enabled(if: ipv6LoopbackAvailable, "IPv6 loopback (::1) is not configured here")) func ipv6LiteralInBrackets() async throws {
        let nginx = try Nginx(files: ["six.txt": Array("over IPv6".utf8)], ipv6: true)
        try await withClient() { client, thread in
            let response = try await client.get("http://[::1]:\(nginx.port)/six.txt")
            #expect(String(decoding: response.body, as: UTF8.self) == "over IPv6")
        }
        withExtendedLifetime(nginx) {}
    }

    @Test func badURLsFailAloneAndGoodOnesSucceed() async throws {
        let nginx = try Nginx(files: ["ok.txt": Array("ok".utf8)])
        let dns = try Dnsmasq()
        defer { withExtendedLifetime(dns) {} }
        try await withClient(.init(connection: ConnectionOptions(dnsServers: dns.servers))) { client, thread in
            let closedPort = refusedPort()
            await #expect(throws: ClientError.connectionRefused(host: "127.0.0.1", port: closedPort)) {
                try await client.get("https://127.0.0.1:\(closedPort)/")
            }
            await #expect(throws: ClientError.self) { try await client.get("http://127.0.0.1:\(refusedPort())/") }
            await #expect(throws: ClientError.self) { try await client.get("http://no-such-host.example/") }
            let response = try await client.get("http://127.0.0.1:\(nginx.port)/ok.txt")
            #expect(response.body == Array("ok".utf8))
            let missing = try await client.get("http://127.0.0.1:\(nginx.port)/missing")
            #expect(missing.status == 404)
        }
        withExtendedLifetime(nginx) {}
    }

    @Test func pooledConnectionClosedByTheServerDoesNotFailTheNextRequest() async throws {
        // The server answers one request per connection and then closes without saying so.
        let server = try ScriptedServer.answering("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", holding: 50_000)
        defer { server.stop() }
        try await withClient() { client, thread in
            let url = "http://127.0.0.1:\(server.port)/"
            _ = try await client.get(url)
            usleep(150_000) // the server has closed the pooled connection by now
            let second = try await client.get(url)
            #expect(second.body == Array("ok".utf8))
            #expect(server.connectionsAccepted == 2)
        }
    }

    @Test func aResponseThatClosesTheConnectionLeavesThePoolUsable() async throws {
        // `Connection: close` from the server: the pooled connection is dropped right after
        // its response (this once crashed: the pool's close hook outlived its connection).
        let server = try ScriptedServer.answering("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok")
        defer { server.stop() }
        try await withClient() { client, _ in
            for _ in 0..<3 {
                let response = try await client.get("http://127.0.0.1:\(server.port)/")
                #expect(response.body == Array("ok".utf8))
            }
            #expect(server.connectionsAccepted == 3)
        }
    }

    /// A server that answers one request per connection and silently drops the next one:
    /// the stale keep-alive connection every pooled client meets.
    static func dropsSecondRequest() throws -> ScriptedServer {
        try ScriptedServer { fd in
            _ = ScriptedServer.readHead(fd)
            ScriptedServer.send(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            _ = ScriptedServer.readHead(fd) // the reused connection's request: closed unanswered
        }
    }

    @Test func idempotentRequestOnAStaleConnectionIsRetriedOnce() async throws {
        let server = try Self.dropsSecondRequest()
        defer { server.stop() }
        try await withClient() { client, thread in
            let url = "http://127.0.0.1:\(server.port)/"
            _ = try await client.get(url)
            let second = try await client.get(url)
            #expect(second.body == Array("ok".utf8))
            #expect(server.connectionsAccepted == 2, "the retry went on a fresh connection")
        }
    }

    @Test func nonIdempotentRequestOnAStaleConnectionIsNotRetried() async throws {
        let server = try Self.dropsSecondRequest()
        defer { server.stop() }
        try await withClient() { client, thread in
            let url = "http://127.0.0.1:\(server.port)/"
            _ = try await client.get(url)
            let post = Request(method: "POST", target: "/", headers: ["Content-Length": "0"])
            await #expect(throws: ClientError.closedBeforeHead) { try await client.execute(post, to: url) }
            #expect(server.connectionsAccepted == 1)
        }
    }

    @Test func idleConnectionsExpire() async throws {
        let nginx = try Nginx(files: ["a": Array("a".utf8)])
        try await withClient(.init(idleTimeout: .seconds(4))) { client, thread in
            // Counted on the loop as the response completes: no window for the expiry to
            // win on a loaded machine.
            let openAfterFetch = try await withCheckedThrowingContinuation { continuation in
                client.execute(Request(method: "GET", target: "/a"), to: "http://127.0.0.1:\(nginx.port)/a",
                               delegate: CompletionDelegate { [weak client] result in
                                   continuation.resume(with: result.map { _ in client?.pools[0].openConnections ?? -1 })
                               })
            }
            #expect(openAfterFetch == 1)
            // Expired within the idle timeout plus one sweep period (bounded wait: 15 s).
            var open = 1
            for _ in 0..<150 where open > 0 {
                try await Task.sleep(for: .milliseconds(100))
                open = try await thread.loop.submit { client.pools[0].openConnections }
            }
            #expect(open == 0)
        }
        withExtendedLifetime(nginx) {}
    }
}
