import Locks
import EvLoop
import HTTPQ
import Upgraded

extension Client {
    /// Sends `request` asking to switch protocols (give it an `Upgrade` field; `Connection:
    /// Upgrade` is added if missing) on a connection of its own, and returns the answer: with
    /// `101`, the connection taken out of HTTP (socket, TLS session, and the bytes the server
    /// already sent behind its head); with anything else, the response and nil.
    ///
    /// The `UpgradedConnection` belongs to `upgraded.loop`: use it there
    /// (`upgraded.loop.execute { ... }`, or a task with that loop as executor preference).
    ///
    /// ```swift
    /// let (response, upgraded) = try await client.upgrade(
    ///     Request(method: "GET", target: "/", headers: ["Upgrade": "echo"]), to: "http://127.0.0.1:8080/echo")
    /// ```
    public func upgrade(_ request: Request, to url: String, deadline: ContinuousClock.Instant? = nil)
        async throws(ClientError) -> (Response, UpgradedConnection?)
    {
        let target = try HTTPURL(url)
        var request = request
        request.target = target.target
        if !request.headers.contains("Host") { request.headers.add("Host", target.authority) }
        if !request.headers.containsToken("upgrade", in: "Connection") { request.headers.add("Connection", "Upgrade") }
        Self.addCredentials(of: target, to: &request)
        let loop = pool(for: LoopPool.HostKey(host: target.host, port: target.port, usesTLS: target.usesTLS, socketPath: target.socketPath)).loop
        let options = configuration.connection
        let asking = request
        let proxy = target.socketPath == nil && target.usesTLS ? configuration.proxy.proxy(for: target) : nil
        let result: Result<(Response, UpgradedConnection?), ClientError> = await withHandoff { handoff in
            let outcome = UpgradeOutcome(handoff)
            loop.execute {
                do throws(ClientError) {
                    let connection = try Connection(loop: loop, host: target.host, port: target.port, usesTLS: target.usesTLS,
                                                    proxy: proxy, socketPath: target.socketPath, delegate: outcome, options: options)
                    outcome.connection = connection
                    connection.onSwitch = { response, upgraded in outcome.finish(.success((response, upgraded))) }
                    if let deadline {
                        outcome.timer = loop.schedule(after: max(.zero, deadline - .now)) { [weak connection] in
                            connection?.fail(.timedOut(.request))
                        }
                    }
                    connection.send(asking)
                } catch {
                    outcome.finish(.failure(error))
                }
            }
        }
        return try result.get()
    }
}

/// Hears the one exchange of `Client.upgrade`: a switch, a plain answer, or a failure.
/// Holds its connection until then (nothing else does).
final class UpgradeOutcome: ConnectionDelegate, @unchecked Sendable {
    private var continuation: Handoff<Result<(Response, UpgradedConnection?), ClientError>>?
    var connection: Connection?
    var timer: ScheduledTimer?

    init(_ continuation: Handoff<Result<(Response, UpgradedConnection?), ClientError>>) {
        self.continuation = continuation
    }

    func finish(_ result: Result<(Response, UpgradedConnection?), ClientError>) {
        timer?.cancel()
        timer = nil
        connection = nil
        continuation?.resume(returning: result)
        continuation = nil
    }

    func connection(_ connection: Connection, didChange state: State, of response: Response) {}
    func connection(_ connection: Connection, didReceiveBody bytes: RawSpan) {}
    func connection(_ connection: Connection, didComplete response: Response) {
        finish(.success((response, nil)))
        connection.close() // not reused: it was opened for this exchange
    }
    func connection(_ connection: Connection, didFail error: any Error) {
        finish(.failure(error as? ClientError ?? .cancelled))
    }
}
