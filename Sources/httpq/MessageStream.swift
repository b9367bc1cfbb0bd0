import FoundationEssentials
import HTTPQ

/// Splits a byte stream into consecutive messages (pipelined requests, keep-alive
/// responses, 1xx then final) and describes each as a JSON line. After a message that
/// turns the connection into something else (a `101`, a 2xx answering CONNECT, a CONNECT
/// request) the rest of the stream is that other protocol's, and is not parsed as HTTP.
struct MessageStream {
    private let parsesRequests: Bool
    private let method: String
    /// The message being parsed: a request or a response, whichever the stream carries.
    /// Two optionals mutated in place (`request!.feed`), not an enum: taking a message out of
    /// an enum to feed it and putting it back copied the whole value at every feed (1-byte
    /// feeds spent half their time in `memmove`), and a copy kept alive made it quadratic.
    private var request: Request?
    private var response: Response?
    /// The stream became a tunnel: what follows is not HTTP.
    private(set) var isTunnel = false

    private let limits: Limits

    init(parsesRequests: Bool, answering method: String, limits: Limits = .default) {
        self.parsesRequests = parsesRequests
        self.method = method
        self.limits = limits
        startNext()
    }

    /// The next message, in the same value (its storage reused: `reset`).
    private mutating func startNext() {
        if parsesRequests {
            if request != nil { request!.reset() } else { request = Request(limits: limits) }
        } else {
            if response != nil { response!.reset(answering: method) } else { response = Response(answering: method, limits: limits) }
        }
    }

    /// Feeds bytes; emits each message that completes or fails. Returns false on an error.
    mutating func feed(_ bytes: ArraySlice<UInt8>, emit: (String) -> Void) -> Bool {
        var offset = bytes.startIndex
        while offset < bytes.endIndex && !isTunnel {
            do {
                offset += try feedCurrent(bytes[offset...])
            } catch {
                emit(describe(error: error))
                return false
            }
            guard isComplete else { return true }
            emit(describe(error: nil))
            if switchesProtocols { isTunnel = true; return true }
            startNext()
        }
        return true
    }

    /// Input ended: a close-delimited body completes; an unfinished message is described
    /// with `complete: false`. Returns false if the last message had an error.
    mutating func finish(emit: (String) -> Void) -> Bool {
        guard hasStarted, !isTunnel else { return true }
        do {
            if parsesRequests { try request!.finish() } else { try response!.finish() }
        } catch let error where error.kind == .unexpectedEnd(state) {
            emit(describe(error: nil))
            return true
        } catch {
            emit(describe(error: error))
            return false
        }
        emit(describe(error: nil))
        return true
    }

    private mutating func feedCurrent(_ bytes: ArraySlice<UInt8>) throws(HTTPQError) -> Int {
        parsesRequests ? try request!.feed(bytes) : try response!.feed(bytes)
    }

    /// Whether the message just completed hands the connection to another protocol.
    private var switchesProtocols: Bool {
        if parsesRequests { return request!.method == "CONNECT" }
        return response!.status == 101 || (method == "CONNECT" && (200..<300).contains(response!.status))
    }

    private var isComplete: Bool {
        parsesRequests ? request!.isComplete : response!.isComplete
    }

    private var state: State {
        parsesRequests ? request!.state : response!.state
    }

    private var hasStarted: Bool {
        parsesRequests ? !request!.buffer.isEmpty || request!.state != .top
            : !response!.buffer.isEmpty || response!.state != .top
    }

    /// The JSON line of the current message, in the field order of DESIGN.md.
    private func describe(error: HTTPQError?) -> String {
        var json = JSONWriter()
        if parsesRequests, let request {
            json.string("kind", "request")
            json.string("state", request.state.description)
            json.bool("complete", request.isComplete && error == nil)
            json.string("error", error?.description)
            if request.state != .top {
                json.string("method", request.method)
                json.string("target", request.target)
                json.string("version", request.version)
            }
            json.pairs("headers", request.headers.map { ($0.name, $0.value) })
            json.pairs("trailers", request.trailers.map { ($0.name, $0.value) })
            json.plainString("body_base64", Data(request.body).base64EncodedString())
        } else if let response {
            json.string("kind", "response")
            json.string("state", response.state.description)
            json.bool("complete", response.isComplete && error == nil)
            json.string("error", error?.description)
            if response.state != .top {
                json.string("version", response.version)
                json.number("status", response.status)
                json.string("reason", response.reason)
            }
            json.pairs("headers", response.headers.map { ($0.name, $0.value) })
            json.pairs("trailers", response.trailers.map { ($0.name, $0.value) })
            json.plainString("body_base64", Data(response.body).base64EncodedString())
        }
        return json.finish()
    }
}
