import CoreMetrics

/// The server's swift-metrics instruments, made once per server, and only when a metrics
/// backend is bootstrapped (or a factory given): with none, the server holds nil and each
/// request pays one branch, not a call into a no-op handler.
///
/// | label | kind | dimensions |
/// |---|---|---|
/// | `http_server_requests_total` | counter | `status_class`: 1xx ... 5xx |
/// | `http_server_request_duration_seconds` | timer (nanoseconds) | — |
/// | `http_server_connections_open` | meter (up and down) | — |
/// | `http_server_connections_total` | counter | — |
/// | `http_server_bytes_received_total` | counter | — |
/// | `http_server_bytes_sent_total` | counter (body bytes, as nginx's `$body_bytes_sent`) | — |
final class ServerMetrics: Sendable {
    let requests: [Counter]
    let duration: CoreMetrics.Timer
    let openConnections: Meter
    let connections: Counter
    let bytesReceived: Counter
    let bytesSent: Counter

    /// Instruments from `factory`; nil when it is swift-metrics' no-op default.
    static func make(_ factory: MetricsFactory) -> ServerMetrics? {
        factory is NOOPMetricsHandler ? nil : ServerMetrics(factory)
    }

    private init(_ factory: MetricsFactory) {
        requests = (1...5).map { Counter(label: "http_server_requests_total", dimensions: [("status_class", "\($0)xx")], factory: factory) }
        duration = CoreMetrics.Timer(label: "http_server_request_duration_seconds", dimensions: [], factory: factory)
        openConnections = Meter(label: "http_server_connections_open", dimensions: [], factory: factory)
        connections = Counter(label: "http_server_connections_total", dimensions: [], factory: factory)
        bytesReceived = Counter(label: "http_server_bytes_received_total", dimensions: [], factory: factory)
        bytesSent = Counter(label: "http_server_bytes_sent_total", dimensions: [], factory: factory)
    }

    /// A response ended.
    func responded(status: Int, bodyBytes: Int, nanoseconds: Int64) {
        requests[min(4, max(0, status / 100 - 1))].increment()
        duration.recordNanoseconds(nanoseconds)
        if bodyBytes > 0 { bytesSent.increment(by: bodyBytes) }
    }
}
