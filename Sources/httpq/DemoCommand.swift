import ArgumentParser
import EvLoop
import HTTPQClient
import HTTPQServer

/// `httpq demo`: local hosts started in-process, the client fetching across all of them,
/// every body checked, the summary printed. Needs no network.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Start N local hosts in-process and fetch N x M generated files across all of them at once.",
        discussion: """
        Each host is an HTTPQServer on 127.0.1.1, 127.0.1.2, ... (its own address on loopback, \
        a free port) serving generated files of known content; the client fetches every URL, \
        checks every body byte for byte, and prints the same summary as `httpq fetch`. Exit \
        status 0 when every body was right.
        """
    )

    @Option(name: .long, help: "Local hosts to start.")
    var hosts = 20

    @Option(name: .long, help: "Files fetched from each host.")
    var urlsPerHost = 100

    @Option(name: .long, help: "Fetches in flight at once, in total.")
    var concurrency = 64

    @Option(name: .long, help: "Connections at once to one host.")
    var perHost = 4

    @Flag(name: .long, help: "One JSON object per finished fetch on standard output (the summary goes to standard error).")
    var json = false

    func validate() throws {
        if hosts < 1 || hosts > 250 { throw ValidationError("--hosts must be between 1 and 250.") }
        if urlsPerHost < 1 || concurrency < 1 || perHost < 1 {
            throw ValidationError("--urls-per-host, --concurrency and --per-host must be at least 1.")
        }
    }

    func run() throws {
        let serverThread = try EventLoopThread(name: "demo-hosts")
        var servers: [Server] = []
        var urls: [String] = []
        var hostOfAuthority: [String: Int] = [:]
        for host in 1...hosts {
            let server = Server(configuration: .init(addresses: [SocketAddress(ip: "127.0.1.\(host)", port: 0)!]),
                                loops: [serverThread.loop], handler: DemoContent.handler(host: host))
            let address: SocketAddress
            do { address = try server.start()[0] } catch { throw CommandFailure("\(error)") }
            servers.append(server)
            hostOfAuthority[address.description] = host
            urls += (0..<urlsPerHost).map { "http://\(address)/files/\($0).bin" }
        }
        let totalBytes = (1...hosts).reduce(0) { sum, host in
            sum + (0..<urlsPerHost).reduce(0) { $0 + DemoContent.size(host: host, file: $1) }
        }
        let intro = "httpq demo: \(hosts) hosts on 127.0.1.1-127.0.1.\(hosts), \(urls.count) files "
            + "(\(FetchSummary.size(totalBytes))), \(concurrency) in flight, \(perHost) per host\n"
        if json { FileOutput.standardError(intro) } else { FileOutput.standardOutputLine(intro) }

        var options = FetchEngine.Options()
        options.concurrency = concurrency
        options.perHost = perHost
        options.timeout = .seconds(30)
        let lookup = hostOfAuthority
        let engine = try FetchEngine(options: options, sinks: { url in
            let file = Int(url.target.split(separator: "/").last?.dropLast(4) ?? "") ?? -1
            return VerifyingSink(host: lookup[url.authority] ?? 0, file: file)
        })
        let summary = try FetchReport.run(engine: engine, urls: urls, json: json)
        engine.shutdown()
        for server in servers { server.shutdown(gracePeriod: .seconds(1)) }
        try? serverThread.shutdown()
        let verdict = summary.failures == 0
            ? "all \(summary.fetches) bodies verified byte for byte"
            : "\(summary.failures) of \(summary.fetches) fetches failed or had a wrong body"
        if json { FileOutput.standardError(verdict) } else { FileOutput.standardOutputLine(verdict) }
        if summary.failures > 0 { throw ExitCode(1) }
    }
}
