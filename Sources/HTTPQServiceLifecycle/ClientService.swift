import HTTPQClient
import ServiceLifecycle

/// A `Client` as a swift-service-lifecycle `Service`: it lives until the group shuts down,
/// then closes its connections (requests still running fail with `cancelled`). Put it
/// after the services that use it in the group's list: a graceful shutdown ends services
/// in reverse order, so the server drains (its handlers still calling out) before the
/// client goes.
public struct ClientService: Service {
    /// The client it runs.
    public let client: Client

    /// A service owning `client`'s lifetime.
    public init(_ client: Client) { self.client = client }

    public func run() async throws {
        defer { client.shutdown() }
        try await gracefulShutdown()
    }
}
