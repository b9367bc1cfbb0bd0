// libFuzzer target: HTTPQ against llhttp (strict mode), on the same stream of pipelined
// requests (seed byte even) or responses to GET (odd). Where both accept, every message's
// start line, fields, body and trailers must match, and so must where each message ends
// (framing). Where only one refuses, the difference must be one of the documented ones
// below (Docs/Parsing.md, "Where HTTPQ and llhttp differ"); anything else stops the fuzzer.
import LLHTTPOracle
#if canImport(Glibc)
import Glibc
#endif

/// Refusals of ours that llhttp (8.1, strict) does not share: each is an RFC rule llhttp
/// leaves to the application, or a limit it does not have.
let strictnessOfOurs: Set<String> = [
    "missingHost", "multipleHosts", "invalidHost",          // RFC 9112 §3.2, RFC 9110 §7.2
    "invalidTargetForm",                                     // RFC 9112 §3.2 forms per method
    "transferEncodingInHTTP10",                              // RFC 9112 §6.1
    "unsupportedTransferCoding", "invalidTransferEncoding",  // only one `chunked` is implemented
    "invalidChunkSize",                                      // chunk-ext grammar, RFC 9112 §7.1.1
    "headTooLarge", "lineTooLong", "tooManyFields", "bodyTooLarge", // limits llhttp does not have
    "invalidReason",                                         // obs-text only, no controls
    "invalidTarget",                                         // VCHAR only
    "invalidFieldName", "whitespaceBeforeColon",             // field-name = token (llhttp 8 takes SP)
    "unsupportedVersion",                                    // HTTP/1.x only (llhttp takes `HTTP/2.0`)
    "bareLineFeed",                                          // CRLF unless Leniency.bareLineFeed
    "invalidVersion",                                        // `HTTP/D.D` after exactly one SP
    "obsoleteLineFolding",                                   // RFC 9112 §5.2: reject (llhttp 8 joins)
    "invalidFieldValue",                                     // no CR, LF, NUL or other controls (RFC 9110 §5.5)
    "missingChunkTerminator",                                // CRLF after chunk data (llhttp 8.1 checks only the LF)
    "invalidStatus",                                         // status = 3DIGIT (llhttp takes `20`)
]

/// Refusals of llhttp's that HTTPQ does not share, each a documented leniency of ours.
let strictnessOfLLHTTP: Set<String> = [
    "HPE_INVALID_METHOD", // llhttp knows a fixed list of methods; RFC 9110 §9.1: any token
    "HPE_INVALID_VERSION", // llhttp knows 0.9, 1.0, 1.1, 2.0; RFC 9110 §2.5: HTTP/1.2 is read as 1.x
    "HPE_INVALID_URL",     // llhttp's URL grammar is narrower: HTTPQ takes any VCHAR target of an allowed form
    "HPE_UNEXPECTED_CONTENT_LENGTH", // a response with both: Transfer-Encoding wins (RFC 9112 §6.3 rule 3), not reused
    "HPE_STRICT",          // llhttp's strict mode refuses BWS after `;` in chunk extensions (RFC 9112 §7.1.1 allows it)
    "HPE_INVALID_CONTENT_LENGTH", // llhttp refuses OWS (a tab) after the digits and lists of one value (RFC 9110 §8.6)
    "HPE_INVALID_CHUNK_SIZE", // llhttp 8.1 refuses a second extension after a valued one (`5;x=y;x=y`)
]

/// Set by `scripts/fuzz.sh --report-differences` (CI): print each new kind of undocumented
/// difference instead of stopping.
let reportOnly = getenv("HTTPQ_FUZZ_REPORT_DIFFERENCES") != nil
nonisolated(unsafe) var reported: Set<String> = []

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDifferential(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let isRequest = bytes[0] & 1 == 0
    let data = UnsafeRawBufferPointer(start: bytes + 1, count: size - 1)
    let (description, stoppedAt) = httpq(data, isRequest: isRequest)
    let ours = Side(describing: description)
    // Room for the description: the body twice over in hex, and the fields once.
    var buffer = [CChar](repeating: 0, count: size * 4 + 4096)
    let length = llhttp_oracle_describe(isRequest ? 1 : 0, data.baseAddress?.assumingMemoryBound(to: UInt8.self),
                                        data.count, &buffer, buffer.count)
    let theirs = Side(describing: String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self))
    // llhttp skips empty lines between messages both ways and at the end of input; HTTPQ
    // only before a request (RFC 9112 §2.2), and waits for what follows them.
    let tail = UnsafeRawBufferPointer(rebasing: data[min(stoppedAt, data.count)...])
    if ours.messages == theirs.messages, theirs.end == "complete", tail.allSatisfy({ $0 == 13 || $0 == 10 }) {
        return 0
    }
    // llhttp skips a lone CR or LF before a message; HTTPQ skips only whole CRLF lines before
    // a request (RFC 9112 §2.2) and reads anything else as the start line.
    if let kind = ours.error, ["invalidMethod", "malformedStartLine", "invalidVersion", "invalidStatus"].contains(kind),
       ours.messages == Array(theirs.messages.prefix(ours.messages.count)),
       stoppedAt < data.count, data[stoppedAt] == 13 || data[stoppedAt] == 10 {
        return 0
    }
    // After a message that closes the connection (HTTP/1.0 without keep-alive, or
    // `Connection: close`) llhttp ignores the rest; so does a server, which closes.
    for index in 0..<min(ours.messages.count, theirs.messages.count) {
        guard ours.messages[index] == theirs.messages[index] else { break }
        if closesConnection(ours.messages[index]) { return 0 }
    }
    if let difference = undocumentedDifference(ours, theirs, input: data) {
        if reportOnly {
            // CI: a new llhttp quirk found in a short run must not block an unrelated change;
            // it is printed (with the input) for a person to classify, and the run goes on.
            if reported.insert(difference).inserted && reported.count <= 20 {
                let base64 = Array(UnsafeRawBufferPointer(start: bytes, count: size)).map { String($0, radix: 16) }
                print("DIFFERENCE \(difference); input (hex): \(base64.joined(separator: " "))")
            }
            return 0
        }
        fatalError("HTTPQ and llhttp differ: \(difference)\n--- httpq\n\(ours.text)\n--- llhttp\n\(theirs.text)")
    }
    return 0
}

/// A description split into its messages and its end ("complete", "partial", "upgrade",
/// "error NAME").
struct Side {
    let text: String
    var messages: [String] = []
    var end = ""

    init(describing text: String) {
        self.text = text
        // Lines: "message" opens a message (no field line is exactly that), "end ..." closes.
        var current: [Substring]?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "message" {
                if let current { messages.append(current.joined(separator: "\n")) }
                current = []
            } else if line.hasPrefix("end ") {
                if let current { messages.append(current.joined(separator: "\n")) }
                current = nil
                end = String(line.dropFirst(4))
            } else {
                current?.append(line)
            }
        }
    }

    var error: String? { end.hasPrefix("error ") ? String(end.dropFirst(6)) : nil }
}

/// Whether our refusal of message `index` is documented, given what llhttp made of it.
func documented(_ kind: String, _ theirs: Side, at index: Int) -> Bool {
    if strictnessOfOurs.contains(kind) { return true }
    // llhttp takes `GET /` without a version as an HTTP/0.9 request (complete, or waiting for
    // more); HTTP/1.1 has no such form.
    if kind == "malformedStartLine" {
        if index == theirs.messages.count && theirs.end == "partial" { return true }
        if index < theirs.messages.count,
           theirs.messages[index].split(separator: "\n").first?.hasSuffix(" HTTP/0.9") == true { return true }
    }
    return false
}

/// What stops the comparison: nil when the two agree or differ only as documented.
func undocumentedDifference(_ ours: Side, _ theirs: Side, input: UnsafeRawBufferPointer) -> String? {
    // `Transfer-Encoding: chunked,` (empty list elements): chunked for HTTPQ, which must
    // ignore empty elements (RFC 9110 §5.6.1); llhttp 8.1 does not see `chunked` there and
    // reads until the close. From there the two streams cannot agree.
    if contains(input, "chunked,") { return nil }
    // llhttp 8.1 takes a CR followed by another byte than LF as a line end in places (its
    // lenient CR); HTTPQ wants CRLF, waits for the LF and then refuses what came instead.
    if ours.end == "partial" || ours.error != nil, ours.messages.count <= theirs.messages.count,
       ours.messages == Array(theirs.messages.prefix(ours.messages.count)), crNotFollowedByLF(input) {
        return nil
    }
    let common = min(ours.messages.count, theirs.messages.count)
    for index in 0..<common where ours.messages[index] != theirs.messages[index] {
        // A 1xx, 204 or 304 has no content whatever its Content-Length (RFC 9110 §6.4.1);
        // llhttp 8.1 reads one after a 1xx: from there on the two streams cannot agree.
        if hasNoContentStatus(ours.messages[index]) { return nil }
        return "message \(index) parsed differently"
    }
    // `Transfer-Encoding: chunked<HTAB>`: the tab is OWS, so the body is chunked; llhttp 8.1
    // does not see `chunked` there and reads until the close.
    if contains(input, "chunked\t") { return nil }
    if theirs.end == "upgrade" && ours.messages.count >= theirs.messages.count { return nil } // a tunnel follows
    if ours.end == "upgrade" && theirs.messages.count >= ours.messages.count { return nil }   // a 101: the same
    // llhttp refuses framing fields in a trailer section; HTTPQ keeps them as trailers and
    // never frames by them (RFC 9110 §6.5.1).
    if theirs.error == "HPE_STRICT", ours.messages.count > theirs.messages.count,
       ours.messages[theirs.messages.count].lowercased().split(separator: "\n").contains(where: {
           $0.hasPrefix("trailer transfer-encoding\t") || $0.hasPrefix("trailer content-length\t") }) {
        return nil
    }
    // llhttp ended cleanly with fewer messages: it decided the connection closes after its
    // last one (a trailer it read as a framing field, say) and ignored the rest unread.
    if theirs.end == "complete", ours.messages.count > theirs.messages.count || ours.end != "complete",
       Array(ours.messages.prefix(theirs.messages.count)) == theirs.messages, !theirs.messages.isEmpty { return nil }
    // As above: llhttp went on reading a body after a 1xx (and failed on it), HTTPQ did not.
    if ours.messages.count > theirs.messages.count, hasNoContentStatus(ours.messages[theirs.messages.count]) { return nil }
    if ours.messages.count == theirs.messages.count {
        switch (ours.error, theirs.error) {
        case (nil, nil): return ours.end == theirs.end ? nil : "one ends \(ours.end), the other \(theirs.end)"
        case (_?, _?): return nil
        // llhttp looks one byte past a field line (for obs-fold) before judging its value:
        // cut right after a bad line, HTTPQ has refused while llhttp still waits.
        case (_?, nil) where theirs.end == "partial": return nil
        case (let kind?, nil):
            return documented(kind, theirs, at: ours.messages.count) ? nil : "only HTTPQ refuses (\(kind))"
        // HTTPQ checks a line once it is whole, llhttp byte by byte: cut inside a bad line,
        // llhttp has refused while HTTPQ still waits for the line's end.
        case (nil, _?) where ours.end == "partial": return nil
        case (nil, let name?): return strictnessOfLLHTTP.contains(name) ? nil : "only llhttp refuses (\(name))"
        }
    }
    if ours.messages.count < theirs.messages.count {
        guard let kind = ours.error else { return "HTTPQ found fewer messages without an error" }
        return documented(kind, theirs, at: ours.messages.count) ? nil : "only HTTPQ refuses (\(kind))"
    }
    guard let name = theirs.error else {
        return theirs.end == "upgrade" ? nil : "llhttp found fewer messages without an error"
    }
    return strictnessOfLLHTTP.contains(name) ? nil : "only llhttp refuses (\(name))"
}

/// HTTPQ's description of `data`, in the oracle's format, and where the last message began.
func httpq(_ data: UnsafeRawBufferPointer, isRequest: Bool) -> (String, Int) {
    var start = 0
    let text = describeStream(data, isRequest: isRequest, lastStart: &start)
    return (text, start)
}

func describeStream(_ data: UnsafeRawBufferPointer, isRequest: Bool, lastStart: inout Int) -> String {
    var out = ""
    var offset = 0
    var limits = Limits.default
    limits.maxBodyBytes = 1 << 20
    while true {
        lastStart = offset
        var request = Request(limits: limits)
        var response = Response(answering: "GET", limits: limits)
        request.keepsBody = true
        response.keepsBody = true
        do {
            while offset < data.count {
                let used = isRequest ? try request.feed(UnsafeRawBufferPointer(rebasing: data[offset...]))
                                     : try response.feed(UnsafeRawBufferPointer(rebasing: data[offset...]))
                offset += used
                if isRequest ? request.isComplete : response.isComplete { break }
            }
            let started = isRequest ? (!request.buffer.isEmpty || request.state != .top)
                                    : (!response.buffer.isEmpty || response.state != .top)
            var complete = isRequest ? request.isComplete : response.isComplete
            if !complete && offset >= data.count {
                guard started else { return out + "end complete\n" }
                do {
                    if isRequest { try request.finish() } else { try response.finish() }
                    complete = true
                } catch let error where error.kind == .unexpectedEnd(isRequest ? request.state : response.state) {
                    return out + "end partial\n"
                }
            }
            guard complete else { return out + "end partial\n" }
            out += isRequest ? describe(request) : describe(response)
            // llhttp hands a CONNECT request, an upgrade, and a 101 to the application as a tunnel.
            if isRequest ? (request.method == "CONNECT" || (request.headers.contains("Upgrade")
                                                             && request.headers.containsToken("upgrade", in: "Connection")))
                         : response.status == 101 {
                return out + "end upgrade\n"
            }
            if offset >= data.count && (isRequest || response.framing != .untilClose) { return out + "end complete\n" }
            if !isRequest && response.framing == .untilClose { return out + "end complete\n" }
        } catch {
            return out + "end error \(name(of: error.kind))\n"
        }
    }
}

func describe(_ request: Request) -> String {
    "message\nstart \(request.method) \(request.target) \(request.version)\n" + fields(request.headers, "field")
        + "body \(hex(request.body))\n" + fields(request.trailers, "trailer")
}

func describe(_ response: Response) -> String {
    "message\nstart \(response.version) \(response.status)\n" + fields(response.headers, "field")
        + "body \(hex(response.body))\n" + fields(response.trailers, "trailer")
}

func fields(_ headers: Headers, _ label: String) -> String {
    headers.map { "\(label) \($0.name)\t\($0.value)\n" }.joined()
}

func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out = [UInt8]()
    out.reserveCapacity(bytes.count * 2)
    for byte in bytes { out.append(digits[Int(byte >> 4)]); out.append(digits[Int(byte & 15)]) }
    return String(decoding: out, as: UTF8.self)
}

/// The case name of an error kind, without its payload (`headTooLarge`, not `headTooLarge(limit: 8192)`).
func name(of kind: HTTPQError.Kind) -> String {
    String(String(describing: kind).prefix { $0 != "(" })
}

/// Whether `input` has a CR whose next byte is not LF (llhttp 8.1 reads some such as line ends).
func crNotFollowedByLF(_ input: UnsafeRawBufferPointer) -> Bool {
    guard input.count >= 2 else { return false }
    for index in 0..<(input.count - 1) where input[index] == 13 && input[index + 1] != 10 { return true }
    return false
}

/// Whether a described message ends its connection (no keep-alive).
func closesConnection(_ message: String) -> Bool {
    let lines = message.split(separator: "\n")
    let connection = lines.filter { $0.lowercased().hasPrefix("field connection\t") }.map { $0.lowercased() }
    if connection.contains(where: { $0.contains("close") }) { return true }
    let isHTTP10 = lines.first?.hasSuffix("HTTP/1.0") == true || lines.first?.hasPrefix("start HTTP/1.0") == true
    return isHTTP10 && !connection.contains(where: { $0.contains("keep-alive") })
}

/// Whether a described response has a status that never carries content.
func hasNoContentStatus(_ message: String) -> Bool {
    guard let line = message.split(separator: "\n").first, line.hasPrefix("start HTTP/"),
          let status = Int(line.split(separator: " ").last ?? "") else { return false }
    return (100..<200).contains(status) || status == 204 || status == 304
}

/// Whether `input` contains `text` (ASCII, case-insensitively).
func contains(_ input: UnsafeRawBufferPointer, _ text: String) -> Bool {
    let needle = Array(text.lowercased().utf8)
    guard input.count >= needle.count else { return false }
    for start in 0...(input.count - needle.count) {
        var index = 0
        while index < needle.count, input[start + index] | (input[start + index] >= 65 && input[start + index] <= 90 ? 0x20 : 0) == needle[index] {
            index += 1
        }
        if index == needle.count { return true }
    }
    return false
}
