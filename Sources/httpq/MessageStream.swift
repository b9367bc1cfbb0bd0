import Foundation
import HTTPQ

/// Splits a byte stream into consecutive messages (pipelined requests, keep-alive
/// responses, 1xx then final) and describes each as a JSON line. After a message that
/// turns the connection into something else (a `101`, a 2xx answering CONNECT, a CONNECT
/// request) the rest of the stream is that other protocol's, and is not parsed as HTTP.
struct MessageStream {
    private enum Message {
        case request(Request)
        case response(Response)
        /// Only while a message is being fed: the enum lets go of it so the message's
        /// buffers are uniquely referenced and grow in place (a copy per feed was quadratic).
        case taken
    }

    private let parsesRequests: Bool
    private let method: String
    private var current: Message
    /// The stream became a tunnel: what follows is not HTTP.
    private var tunnel = false

    init(parsesRequests: Bool, answering method: String) {
        self.parsesRequests = parsesRequests
        self.method = method
        current = parsesRequests ? .request(Request()) : .response(Response(answering: method))
    }

    /// Feeds bytes; emits each message that completes or fails. Returns false on an error.
    mutating func feed(_ bytes: ArraySlice<UInt8>, emit: (String) -> Void) -> Bool {
        var offset = bytes.startIndex
        while offset < bytes.endIndex && !tunnel {
            do {
                offset += try feedCurrent(bytes[offset...])
            } catch {
                emit(describe(error: error))
                return false
            }
            guard isComplete else { return true }
            emit(describe(error: nil))
            if switchesProtocols { tunnel = true; return true }
            current = parsesRequests ? .request(Request()) : .response(Response(answering: method))
        }
        return true
    }

    /// Input ended: a close-delimited body completes; an unfinished message is described
    /// with `complete: false`. Returns false if the last message had an error.
    mutating func finish(emit: (String) -> Void) -> Bool {
        guard hasStarted, !tunnel else { return true }
        do {
            switch current {
            case .request(var request): try request.finish(); current = .request(request)
            case .response(var response): try response.finish(); current = .response(response)
            case .taken: break
            }
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
        switch current {
        case .request(var request):
            current = .taken
            defer { current = .request(request) }
            return try request.feed(bytes)
        case .response(var response):
            current = .taken
            defer { current = .response(response) }
            return try response.feed(bytes)
        case .taken:
            preconditionFailure("a message is fed one at a time")
        }
    }

    /// Whether the message just completed hands the connection to another protocol.
    private var switchesProtocols: Bool {
        switch current {
        case .request(let request): request.method == "CONNECT"
        case .response(let response): response.status == 101 || (method == "CONNECT" && (200..<300).contains(response.status))
        case .taken: false
        }
    }

    private var isComplete: Bool {
        switch current {
        case .request(let request): request.isComplete
        case .response(let response): response.isComplete
        case .taken: false
        }
    }

    private var state: State {
        switch current {
        case .request(let request): request.state
        case .response(let response): response.state
        case .taken: .top
        }
    }

    private var hasStarted: Bool {
        switch current {
        case .request(let request): !request.buffer.isEmpty || request.state != .top
        case .response(let response): !response.buffer.isEmpty || response.state != .top
        case .taken: false
        }
    }

    /// The JSON line of the current message, in the field order of DESIGN.md.
    private func describe(error: HTTPQError?) -> String {
        var json = JSONWriter()
        switch current {
        case .request(let request):
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
            json.string("body_base64", Data(request.body).base64EncodedString())
        case .response(let response):
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
            json.string("body_base64", Data(response.body).base64EncodedString())
        case .taken:
            break
        }
        return json.finish()
    }
}
