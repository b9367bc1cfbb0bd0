import Foundation
import HTTPQ

/// Splits a byte stream into consecutive messages (pipelined requests, keep-alive
/// responses, 1xx then final) and describes each as a JSON line.
struct MessageStream {
    private enum Message {
        case request(Request)
        case response(Response)
    }

    private let parsesRequests: Bool
    private let method: String
    private var current: Message

    init(parsesRequests: Bool, answering method: String) {
        self.parsesRequests = parsesRequests
        self.method = method
        current = parsesRequests ? .request(Request()) : .response(Response(answering: method))
    }

    /// Feeds bytes; emits each message that completes or fails. Returns false on an error.
    mutating func feed(_ bytes: ArraySlice<UInt8>, emit: (String) -> Void) -> Bool {
        var offset = bytes.startIndex
        while offset < bytes.endIndex {
            do {
                offset += try feedCurrent(bytes[offset...])
            } catch {
                emit(describe(error: error))
                return false
            }
            guard isComplete else { return true }
            emit(describe(error: nil))
            current = parsesRequests ? .request(Request()) : .response(Response(answering: method))
        }
        return true
    }

    /// Input ended: a close-delimited body completes; an unfinished message is described
    /// with `complete: false`. Returns false if the last message had an error.
    mutating func finish(emit: (String) -> Void) -> Bool {
        guard hasStarted else { return true }
        do {
            switch current {
            case .request(var request): try request.finish(); current = .request(request)
            case .response(var response): try response.finish(); current = .response(response)
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
            defer { current = .request(request) }
            return try request.feed(bytes)
        case .response(var response):
            defer { current = .response(response) }
            return try response.feed(bytes)
        }
    }

    private var isComplete: Bool {
        switch current {
        case .request(let request): request.isComplete
        case .response(let response): response.isComplete
        }
    }

    private var state: State {
        switch current {
        case .request(let request): request.state
        case .response(let response): response.state
        }
    }

    private var hasStarted: Bool {
        switch current {
        case .request(let request): !request.buffer.isEmpty || request.state != .top
        case .response(let response): !response.buffer.isEmpty || response.state != .top
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
        }
        return json.finish()
    }
}
