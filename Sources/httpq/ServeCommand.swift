import ArgumentParser
import EvLoop
import HTTPQServer
import Logging
import HTTPQClient
#if canImport(Glibc)
import Glibc
#endif

/// `httpq serve`: static files from a directory, on one loop per thread.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the files under a directory over HTTP/1.1 (https with --tls-cert and --tls-key).",
        discussion: """
        Prints one "listening on http://ADDR:PORT/" line per address once it accepts \
        ("https://" with TLS; "http+unix://%2FPATH/" for a Unix socket, the form fetch takes). SIGTERM \
        or SIGINT stops accepting, lets requests in flight finish (up to 10 s), and exits 0.
        """
    )

    @Option(name: .long, help: "The directory to serve.")
    var root = "."

    @Option(name: .long, help: "ADDR:PORT to listen on ([::1]:PORT for IPv6; port 0 picks one), or unix:PATH for a Unix domain socket. Repeatable.")
    var listen: [String] = []

    @Option(name: .long, help: "Event-loop threads, each accepting on its own listener.")
    var threads = 1

    @Option(name: .long, help: "Seconds a request head may take to arrive.")
    var headerTimeout: Double = 10

    @Option(name: .long, help: "Seconds a kept-alive connection may stay idle.")
    var idleTimeout: Double = 60

    @Flag(name: .long, help: "Log one line per request to standard output (nginx's combined format unless --log-format json).")
    var log = false

    @Option(name: .customLong("access-log"), help: "Write the access log to FILE (appended; '-' for standard output); implies --log. SIGUSR1 reopens it.")
    var accessLogPath: String?

    @Option(name: .customLong("log-format"), help: "The access log's format: combined (nginx's) or json.")
    var logFormat: AccessLogFormat = .combined

    @Option(name: .long, help: "Seconds a small file kept in memory is answered without checking it is unchanged (nginx's open_file_cache_valid); 0, the default, checks on every request.")
    var keptFilesValid: Double = 0

    @Flag(name: .long, help: "Accept PUT under --root: the body streams to a temporary file, renamed into place when complete (201 new, 204 replaced).")
    var allowPut = false

    @Option(name: .long, help: "The largest PUT body accepted, in bytes (413 beyond it).")
    var maxUploadBytes = 8 << 30

    @Option(name: .long, help: "A PEM certificate chain (leaf first): serve https. Needs --tls-key.")
    var tlsCert: String?

    @Option(name: .long, help: "The PEM private key of --tls-cert.")
    var tlsKey: String?

    func validate() throws {
        if threads < 1 { throw ValidationError("--threads must be at least 1.") }
        if maxUploadBytes < 0 { throw ValidationError("--max-upload-bytes must not be negative.") }
        if headerTimeout <= 0 || idleTimeout <= 0 { throw ValidationError("timeouts must be positive.") }
        if !(keptFilesValid >= 0 && keptFilesValid <= 86_400) { throw ValidationError("--kept-files-valid must be between 0 and 86400 seconds.") }
        if (tlsCert == nil) != (tlsKey == nil) { throw ValidationError("--tls-cert and --tls-key go together.") }
        for text in listen where ListenAddress.parse(text) == nil {
            throw ValidationError("--listen \(text): expected ADDR:PORT with an IP address (127.0.0.1:8080, [::1]:8080) or unix:PATH (at most \(SocketAddress.maxUnixPathBytes) bytes).")
        }
    }

    func run() throws {
        let files: FileServer
        do { files = try FileServer(root: root, allowsPut: allowPut, keptFilesValidFor: .milliseconds(Int(keptFilesValid * 1000))) } catch { throw CommandFailure("\(error)") }
        let addresses = listen.isEmpty ? [SocketAddress(ip: "127.0.0.1", port: 8080)!] : listen.compactMap(ListenAddress.parse)
        // The access log: its own writer thread, never the loops'.
        let accessLog: AccessLog?
        do {
            accessLog = log || accessLogPath != nil
                ? try AccessLog(path: accessLogPath == "-" ? nil : accessLogPath, format: logFormat,
                                logger: Logger(label: "httpq.serve.access-log", factory: { StreamLogHandler.standardError(label: $0) })) : nil
        } catch { throw CommandFailure("\(error)") }
        var tls: TLSServerContext?
        if let tlsCert, let tlsKey {
            do { tls = try TLSServerContext(certificateChainFile: tlsCert, privateKeyFile: tlsKey) } catch {
                throw CommandFailure(error.description)
            }
        }
        let configuration = ServerConfiguration(
            addresses: addresses,
            headerTimeout: .milliseconds(Int(headerTimeout * 1000)),
            idleTimeout: .milliseconds(Int(idleTimeout * 1000)),
            tls: tls,
            maxStreamedBodyBytes: maxUploadBytes,
            accessLogWriter: accessLog)
        let group = try EventLoopGroup(count: threads)
        // Uploads stream to disk; without them the body-collecting handler is the one served.
        let server = allowPut
            ? Server(configuration: configuration, loops: group.loops, streamingHandler: files.streamingHandler)
            : Server(configuration: configuration, loops: group.loops, handler: files.handler)
        let bound: [SocketAddress]
        do { bound = try server.start() } catch { throw CommandFailure("\(error)") }
        let scheme = tls == nil ? "http" : "https"
        for address in bound {
            if let path = address.unixPath {
                FileOutput.standardOutputLine("listening on \(HTTPURL.unixSocketURL(path: path, usesTLS: tls != nil))/")
            } else {
                FileOutput.standardOutputLine("listening on \(scheme)://\(address)/")
            }
        }

        // The main thread waits for a signal on a loop of its own, then drains the server.
        let control = try EventLoop()
        for number in [SIGTERM, SIGINT] {
            _ = control.onSignal(number) { _ in
                server.shutdown(gracePeriod: .seconds(10), completion: { control.stop() })
            }
        }
        _ = control.onSignal(SIGUSR1) { _ in accessLog?.reopen() } // as nginx: after logrotate moved the file
        control.run()
        try group.shutdown()
        accessLog?.close() // what was recorded is written before exit
        withExtendedLifetime(files) {}
    }
}

extension AccessLogFormat: ExpressibleByArgument {}

/// An error that ends the command with exit status 1 and a message on standard error.
struct CommandFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// `ADDR:PORT`, `[V6ADDR]:PORT` and `unix:PATH` for `--listen`.
enum ListenAddress {
    static func parse(_ text: String) -> SocketAddress? {
        if text.hasPrefix("unix:") { return SocketAddress(unixPath: String(text.dropFirst(5))) }
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]) else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return SocketAddress(ip: host, port: port)
    }
}
