import Foundation
import HTTPQ
import HTTPQClient
import Logging
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Happy eyeballs (RFC 8305) on real sockets: a name whose first address silently drops
/// SYNs and whose second answers.
@Suite struct HappyEyeballsTests {
    /// A listener on `address:port` whose accept queue is full (backlog 0, filled by
    /// connections nobody accepts): Linux then drops further SYNs without a word, as a
    /// firewall or a dead host does.
    final class BlackHole {
        let listener: Int32
        var fillers: [Int32] = []
        /// The fillers' local addresses as /proc/net/tcp writes them (`0100007F:A64C`): they
        /// wait on the hole themselves, and are not the client's.
        var fillerAddresses: Set<Substring> = []

        init(address: String, port: Int) throws {
            listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var one: Int32 = 1
            setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_addr.s_addr = inet_addr(address)
            sin.sin_port = in_port_t(UInt16(port).bigEndian)
            let bound = withUnsafePointer(to: &sin) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            guard bound == 0, listen(listener, 0) == 0 else { throw PeerError.didNotStart("black hole", "bind \(address):\(port): errno \(errno)") }
            for _ in 0..<3 { // fill the queue; later SYNs are dropped
                let filler = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
                _ = withUnsafePointer(to: &sin) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(filler, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
                fillers.append(filler)
                var local = sockaddr_in()
                var length = socklen_t(MemoryLayout<sockaddr_in>.size)
                _ = withUnsafeMutablePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(filler, $0, &length) } }
                fillerAddresses.insert(Substring(String(format: "%08X:%04X", local.sin_addr.s_addr, UInt16(bigEndian: local.sin_port))))
            }
            usleep(100_000)
        }

        deinit {
            fillers.forEach { close($0) }
            close(listener)
        }
    }

    /// Sockets of this network namespace still sending SYNs to `127.0.0.2:port` (state 02 in
    /// /proc/net/tcp), by local address: besides the hole's own fillers, a losing attempt left
    /// open. A set, since /proc/net/tcp read while other tests open and close sockets can show
    /// an entry twice (or skip one: a CI run saw a filler missing from a read before the fetch
    /// and present after it, so the fillers are named rather than read before).
    static func synSent(toHoleAt port: Int) -> Set<Substring> {
        let remote = String(format: "0200007F:%04X", port)
        return Set(readTextFile("/proc/net/tcp").split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            return fields.count > 3 && fields[2] == remote && fields[3] == "02" ? fields[1] : nil
        })
    }

    /// Fetches `http://two.httpq:PORT/` where the name is [black hole, server] (127.0.0.2
    /// and .3: equally far from the source address 127.0.0.1, so c-ares's RFC 6724 sort
    /// keeps the DNS order, which dnsmasq reverses from its configuration); returns the
    /// outcome, the time it took, and the addresses attempted.
    static func fetch(attemptDelay: Duration, connectTimeout: Duration) throws
        -> (Result<Response, ClientError>, Duration, [String])
    {
        let server = try ScriptedServer.answering("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", address: "127.0.0.3")
        defer { server.stop() }
        let hole = try BlackHole(address: "127.0.0.2", port: server.port)
        let dns = try Dnsmasq(records: ["two.httpq": ["127.0.0.3", "127.0.0.2"]])
        let log = CapturingLogHandler()
        var options = ConnectionOptions(connectTimeout: connectTimeout, logger: Logger(label: "eyeballs") { _ in log },
                                        dnsServers: dns.servers)
        options.attemptDelay = attemptDelay
        let (result, elapsed) = try timedFetch("http://two.httpq:\(server.port)/", .init(connection: options))
        // A closed socket leaves /proc/net/tcp when its last reference goes: a process another
        // test is spawning holds a copy of every descriptor between its fork and its exec, and
        // a CI run under load read the closed attempt there once. A leaked attempt stays (SYNs
        // are retried for minutes), so waiting up to 3 s for it to go still catches a leak.
        var pendingAfter = synSent(toHoleAt: server.port)
        for _ in 0..<30 where !pendingAfter.subtracting(hole.fillerAddresses).isEmpty {
            usleep(100_000)
            pendingAfter = synSent(toHoleAt: server.port)
        }
        #expect(pendingAfter.subtracting(hole.fillerAddresses).isEmpty,
                "the losing attempt was closed: fillers \(hole.fillerAddresses), waiting after \(pendingAfter)")
        withExtendedLifetime((hole, dns)) {}
        let attempted = log.lock.withLock { log.events.filter { $0.message == "connecting" }.compactMap { $0.metadata["address"].map { "\($0)" } } }
        return (result, elapsed, attempted)
    }

    @Test func aSilentFirstAddressCostsOneAttemptDelayNotTheConnectTimeout() async throws {
        let (result, elapsed, attempted) = try await offPool { try Self.fetch(attemptDelay: .milliseconds(250), connectTimeout: .seconds(10)) }
        #expect(try result.get().status == 200)
        #expect(attempted.count == 2 && attempted.first?.hasPrefix("127.0.0.2") == true, "\(attempted)")
        #expect(elapsed < .seconds(3), "took \(elapsed)")
    }

    /// Without the race (a delay longer than the connect timeout) the same name fails on the
    /// connect timeout: what the test above guards against.
    @Test func withoutTheRaceTheSameNameTimesOut() async throws {
        let (result, elapsed, attempted) = try await offPool { try Self.fetch(attemptDelay: .seconds(60), connectTimeout: .seconds(2)) }
        #expect(throws: ClientError.timedOut(.connect)) { try result.get() }
        #expect(attempted.count == 1)
        #expect(elapsed >= .seconds(2))
    }
}

extension Result where Failure == ClientError {
    init(catching body: () async throws(ClientError) -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
