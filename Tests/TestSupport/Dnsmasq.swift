import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A real DNS server (Debian's dnsmasq) on a free loopback port that answers every name
/// under `test.httpq` with 127.0.0.1 and refuses everything else (no upstream).
public final class Dnsmasq: @unchecked Sendable {
    public let port: Int
    private let process: ChildProcess
    /// The c-ares server list pointing at this server.
    public var servers: String { "127.0.0.1:\(port)" }

    /// `records` adds names with addresses of their own (`["two.httpq": ["127.0.0.2", "127.0.0.1"]]`);
    /// dnsmasq answers them in reverse (the last given first).
    public init(records: [String: [String]] = [:]) throws {
        let extra = records.flatMap { name, addresses in addresses.map { "--address=/\(name)/\($0)" } }
        // dnsmasq binds at once and exits when it cannot (a port from `freePort()` may be
        // taken by then): still running after a moment means it holds the port (there is no
        // readiness signal on UDP); otherwise another port is tried.
        var attempt = 0
        while true {
            attempt += 1
            let port = freePort()
            let process = try ChildProcess("/usr/sbin/dnsmasq", ["--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
                                 "--listen-address=127.0.0.1", "--bind-interfaces", "--port=\(port)",
                                 "--address=/test.httpq/127.0.0.1", "--user=root", "--pid-file="] + extra)
            usleep(200_000)
            if process.isRunning || attempt == 3 {
                self.port = port
                self.process = process
                return
            }
        }
    }

    deinit {
        process.kill()
    }
}

