import HTTPQServer
import ServiceLifecycle

/// A `Server` as a swift-service-lifecycle `Service`: `run` starts it (if it is not yet)
/// and serves until the group shuts down gracefully (SIGTERM, say); then it stops accepting,
/// lets requests in flight finish within `gracePeriod`, and returns. Cancelled instead, it
/// closes everything at once.
///
/// ```swift
/// let group = ServiceGroup(configuration: .init(
///     services: [ServerService(server), ClientService(client)],
///     gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
/// try await group.run()
/// ```
public struct ServerService: Service {
    /// The server it runs.
    public let server: Server
    /// How long requests in flight may take once shutdown begins.
    public let gracePeriod: Duration

    /// A service running `server`.
    public init(_ server: Server, gracePeriod: Duration = .seconds(10)) {
        self.server = server
        self.gracePeriod = gracePeriod
    }

    public func run() async throws {
        if server.addresses.isEmpty { _ = try server.start() }
        do {
            try await gracefulShutdown() // returns when the group begins its graceful shutdown
            await server.shutdown(gracePeriod: gracePeriod)
        } catch {
            await server.shutdown(gracePeriod: .zero) // cancelled: no grace
            throw error
        }
    }
}
