import HTTPQClient

/// How one fetch (one URL, redirects followed) ended.
struct FetchResult: Sendable {
    /// The URL as given.
    var url: String
    /// `HOST[:PORT]` of the URL as given (the summary's row), or the text for a bad URL.
    var host: String
    /// The final response's status, nil when there was none.
    var status: Int?
    /// Body bytes of the final response.
    var bytes: Int
    /// From the first request to the end of the last response.
    var seconds: Double
    /// Why there was no response (or why a body was refused, such as a demo mismatch).
    var error: String?
    /// A short kind for the error summary (`refused`, `timeout-request`, `mismatch`, ...).
    var errorKind: String?

    /// One JSON object: `url`, `status`, `bytes`, `ms`, `error` (the DESIGN.md contract).
    var json: String {
        var writer = JSONWriter()
        writer.string("url", url)
        writer.number("status", status)
        writer.number("bytes", bytes)
        writer.double("ms", (seconds * 1_000_000).rounded() / 1_000)
        writer.string("error", error)
        return writer.finish()
    }
}
