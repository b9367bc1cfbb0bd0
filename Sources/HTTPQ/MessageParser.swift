/// The incremental HTTP/1.1 parser behind `Request` and `Response`: a value-type state
/// machine fed bytes, returning one event at a time.
///
/// Every input byte is looked at a bounded number of times (found as part of a line,
/// then validated once), so feeding N bytes costs O(N) however they are split.
struct MessageParser: Sendable {
    /// Which kind of message, and for a response the method it answers.
    enum Role: Hashable, Sendable {
        case request
        case response(answering: String?)
    }

    /// Where in the byte stream the parser is; finer than `State`.
    enum Phase: Hashable, Sendable {
        case head
        case lengthBody(remaining: Int)
        case chunkSize(value: UInt64, sawDigit: Bool)
        /// After the size: only BWS, then `;` (RFC 9112 §7.1: BWS is allowed before `;` only).
        case chunkSizeWhitespace(value: UInt64)
        case chunkExtension(value: UInt64, step: ChunkExtension.Step)
        case chunkSizeLineFeed(value: UInt64)
        case chunkData(remaining: Int)
        case chunkDataCarriageReturn
        case chunkDataLineFeed
        case trailers
        case untilClose
        case done
    }

    private(set) var role: Role
    let limits: Limits
    let leniency: Leniency

    // What has been parsed. The fields `init(complete:...)` sets have no defaults: each
    // init sets each of them once (a field set over its default made the compiler copy the
    // whole parser out of the initializer, every field retained and released: ~430
    // instructions per `Response`, since the parser is too large for it to see through).
    var method: String
    var target: String
    var version: String
    var status: Int
    var reason: String
    /// Fields found so far: ranges into `head` (no strings are made while parsing).
    var headerEntries: [Headers.Entry] = []
    /// Set when a caller replaces the headers; wins over the parsed ones.
    var headersOverride: Optional<Headers> // spelled out: `Headers?` would default to nil (see above)
    var trailerEntries: [Headers.Entry] = []
    var trailersOverride: Optional<Headers>
    var body: [UInt8]
    var keepsBody = true

    /// The head bytes received so far (httpq's `buffer`); leading empty lines excluded.
    var head: [UInt8] = []
    /// A message built from its fields has no received head: its `buffer` is its fields
    /// serialized, made when asked (building a response serialized it twice, once here and
    /// once by the server that sent it: a tenth of a small-file answer's CPU).
    var headIsDerived: Bool
    var state: State
    var framing: BodyFraming?
    var isComplete: Bool
    var failure: HTTPQError?

    var phase: Phase = .head
    private var completionReported = false
    private var facts = FramingFacts()

    /// The head carried both `Content-Length` and `Transfer-Encoding` (known from parsing, so
    /// nobody scans the fields again for it).
    var hadBothLengthFields: Bool { facts.contentLength != nil && facts.transferEncodingSeen }
    /// Bytes of this message consumed before the current call (for error offsets).
    private(set) var consumed = 0
    /// Bytes dropped from the front of `head` (empty lines before a request).
    private var headBase = 0
    private var lineStart = 0
    /// The trailer section's bytes, which the trailer entries point into.
    var trailerSection: [UInt8] = []
    var trailerLineStart = 0
    var chunkLineBytes = 0

    /// The header fields: the parsed ones (sharing `head`'s storage), or the caller's.
    var headers: Headers {
        get { headersOverride ?? Headers(bytes: head, entries: headerEntries) }
        set { headersOverride = newValue }
    }

    /// The trailer fields of a chunked body.
    var trailers: Headers {
        get { trailersOverride ?? Headers(bytes: trailerSection, entries: trailerEntries) }
        set { trailersOverride = newValue }
    }

    init(role: Role, limits: Limits, leniency: Leniency) {
        self.role = role
        self.limits = limits
        self.leniency = leniency
        method = ""
        target = ""
        version = ""
        status = 0
        reason = ""
        headersOverride = nil
        trailersOverride = nil
        body = []
        headIsDerived = false
        state = .top
        isComplete = false
    }

    /// A complete message built from its fields (`Request.init`, `Response.init`), each set
    /// once here: built and then stored, or stored and then filled in, the parser was copied.
    init(complete role: Role, method: String, target: String, version: String, status: Int, reason: String,
         headers: Headers, body: [UInt8], trailers: Headers) {
        self.role = role
        limits = .default
        leniency = []
        self.method = method
        self.target = target
        self.version = version
        self.status = status
        self.reason = reason
        headersOverride = headers
        trailersOverride = trailers
        self.body = body
        headIsDerived = true // `buffer` serializes on demand: a server or client sending it never asks
        state = .body
        isComplete = true
    }

    /// The parser for the next message, as `init` makes it (same limits and leniency, and
    /// `keepsBody` kept: it is a setting), except that the head bytes, the field index and
    /// the body keep the storage they grew to: a connection parsing message after message
    /// allocates nothing for them. Storage still shared with a copy (a caller kept the last
    /// message, or its `headers`) is left to that copy, and the next message gets its own.
    mutating func reset(role: Role) {
        // Field by field, as `init(role:limits:leniency:)` sets them (the `ResetTests` check
        // every stored property against a fresh parser's through reflection): building a
        // fresh parser, destroying the old one and moving three arrays across cost ~330
        // instructions a message, 7% of a small response's parse.
        self.role = role
        method = ""
        target = ""
        version = ""
        status = 0
        reason = ""
        Self.empty(&headerEntries)
        headersOverride = nil
        Self.empty(&trailerEntries)
        trailersOverride = nil
        Self.empty(&body)
        Self.empty(&head)
        headIsDerived = false
        state = .top
        framing = nil
        isComplete = false
        failure = nil
        phase = .head
        completionReported = false
        facts = FramingFacts()
        consumed = 0
        headBase = 0
        lineStart = 0
        Self.empty(&trailerSection)
        trailerLineStart = 0
        chunkLineBytes = 0
    }

    /// Empties `array` keeping its capacity (storage a copy shares stays with the copy); an
    /// array already empty is left alone (emptying it costs a generic call).
    @inline(__always)
    private static func empty<Element>(_ array: inout [Element]) {
        guard !array.isEmpty else { return }
        array.removeAll(keepingCapacity: true)
    }

    /// Consumes bytes from the front of `input` up to and including the next event.
    ///
    /// Returns how many bytes were consumed and the event, or nil when all of `input` was
    /// consumed without one (more input needed) or the message was already complete (then
    /// nothing is consumed: the rest belongs to the next message).
    mutating func consume(_ input: UnsafeRawBufferPointer) throws(HTTPQError) -> (consumed: Int, event: MessageEvent?) {
        try run(input, stopsAtEvents: true)
    }

    /// Consumes bytes from the front of `input` until the message is complete or the input
    /// is used up, reporting no event but `.complete` (what `feed` needs: returning to the
    /// caller at every state change and body slice cost a second pass through the machine
    /// per feed, a third of the time for 10-byte feeds).
    mutating func consumeThroughEvents(_ input: UnsafeRawBufferPointer) throws(HTTPQError) -> (consumed: Int, event: MessageEvent?) {
        try run(input, stopsAtEvents: false)
    }

    @inline(__always)
    private mutating func run(_ input: UnsafeRawBufferPointer, stopsAtEvents stops: Bool) throws(HTTPQError) -> (consumed: Int, event: MessageEvent?) {
        if let failure { throw failure }
        do {
            // Pieces that end nothing, the common case of a message arriving in small pieces,
            // skip the machine: body bytes that end neither the body nor a chunk, and head
            // bytes that end no line (appended to the line begun in an earlier feed).
            let count = input.count
            switch phase {
            case .lengthBody(let remaining) where count < remaining:
                phase = .lengthBody(remaining: remaining - count)
                return try takeBodyPiece(input, stopsAtEvents: stops)
            case .chunkData(let remaining) where count < remaining:
                phase = .chunkData(remaining: remaining - count)
                return try takeBodyPiece(input, stopsAtEvents: stops)
            case .head where !head.isEmpty:
                // Also right when the head's last line ended with the last piece.
                if try takePartialLine(input) {
                    consumed += count
                    return (count, nil)
                }
            default:
                break
            }
            let result = try step(input, stopsAtEvents: stops)
            consumed += result.consumed
            return result
        } catch {
            failure = error
            throw error
        }
    }

    /// Says that input has ended: completes a close-delimited body, and throws
    /// `unexpectedEnd` for any other unfinished message.
    mutating func finish() throws(HTTPQError) {
        if let failure { throw failure }
        if isComplete { return }
        if case .untilClose = phase {
            phase = .done
            isComplete = true
            return
        }
        let error = HTTPQError(.unexpectedEnd(state), at: consumed)
        failure = error
        throw error
    }

    // MARK: - The machine

    /// The machine: runs until an event (when `stops`), completion, or the end of `input`.
    private mutating func step(_ input: UnsafeRawBufferPointer, stopsAtEvents stops: Bool) throws(HTTPQError) -> (consumed: Int, event: MessageEvent?) {
        var i = 0
        let count = input.count
        while true {
            if isComplete {
                if completionReported { return (i, nil) }
                completionReported = true
                return (i, .complete)
            }
            switch phase {
            case .head:
                guard i < count else { return (i, nil) }
                if lineStart < head.count || (!head.isEmpty && count - i < Self.shortRest) {
                    // A line begun in an earlier feed is finished in `head` and parsed there;
                    // so are the lines of a short rest of a piece when the head arrives in
                    // pieces (the in-place path's set-up and second append cost more than
                    // it saves on a few bytes).
                    let (next, lineEnd) = try Self.accumulateLine(
                        into: &head, lineStart: lineStart, from: input, at: i,
                        limits: limits, totalBefore: headBase, offset: consumed)
                    i = next
                    guard let lineEnd else { continue }
                    let start = lineStart
                    lineStart = lineEnd + 1
                    let event = try withBytes(head) { (bytes: UnsafeRawBufferPointer) throws(HTTPQError) in
                        try headLine(bytes, start: start, lineFeed: lineEnd, toHead: 0)
                    }
                    if let event, stops { return (i, event) }
                } else {
                    let (next, event) = try headLinesInPlace(input, from: i, stopsAtEvents: stops)
                    i = next
                    if let event, stops { return (i, event) }
                }

            case .lengthBody(let remaining):
                guard i < count else { return (i, nil) }
                let take = min(remaining, count - i)
                try keep(input, i..<(i + take))
                if take == remaining {
                    phase = .done
                    isComplete = true
                } else {
                    phase = .lengthBody(remaining: remaining - take)
                }
                if stops { return (i + take, .body(i..<(i + take))) }
                i += take

            case .chunkData(let remaining) where !stops:
                guard i < count else { return (i, nil) }
                i = try wholeChunks(input, from: i, remaining: remaining)

            case .chunkData(let remaining):
                guard i < count else { return (i, nil) }
                let take = min(remaining, count - i)
                try keep(input, i..<(i + take))
                phase = take == remaining ? .chunkDataCarriageReturn : .chunkData(remaining: remaining - take)
                if stops { return (i + take, .body(i..<(i + take))) }
                i += take

            case .untilClose:
                guard i < count else { return (i, nil) }
                try keep(input, i..<count)
                if stops { return (count, .body(i..<count)) }
                i = count

            case .chunkSize, .chunkSizeWhitespace, .chunkExtension, .chunkSizeLineFeed, .chunkDataCarriageReturn, .chunkDataLineFeed:
                guard i < count else { return (i, nil) }
                if let next = chunkFramingFastPath(input, at: i) {
                    i = next
                    continue
                }
                try chunkFraming(input[i], at: consumed + i)
                i += 1

            case .trailers:
                guard i < count else { return (i, nil) }
                if trailerSection.isEmpty, i + 1 < count, input[i] == Grammar.cr, input[i + 1] == Grammar.lf {
                    // No trailers, the common case: the message ends here, nothing to keep
                    // (keeping the empty line allocated a section per message).
                    i += 2
                    phase = .done
                    isComplete = true
                    continue
                }
                let (next, lineEnd) = try Self.accumulateLine(
                    into: &trailerSection, lineStart: trailerLineStart, from: input, at: i,
                    limits: limits, totalBefore: 0, offset: consumed)
                i = next
                if let lineEnd { try trailerLine(lineEnd: lineEnd, endOffset: consumed + i) }

            case .done:
                isComplete = true
            }
        }
    }

    /// Below this many bytes, the rest of a piece continuing a head is parsed line by line
    /// in `head` rather than in place (measured on M1: 10- and 30-byte pieces gain 6–8%; at
    /// 64, 50-byte pieces lost 5%, the in-place path winning from two lines up).
    static let shortRest = 24

    /// A body piece that ends nothing (the phase already counts it): kept when the body is
    /// (a body over its limit fails the parser: the phase no longer matters).
    @inline(__always)
    private mutating func takeBodyPiece(_ input: UnsafeRawBufferPointer, stopsAtEvents stops: Bool) throws(HTTPQError) -> (consumed: Int, event: MessageEvent?) {
        let count = input.count
        try keep(input, 0..<count)
        consumed += count
        return (count, stops ? .body(0..<count) : nil)
    }

    /// Appends all of `input` to the head line begun in an earlier feed when it holds no LF
    /// (within the line and head limits, checked as `accumulateLine` checks them); false,
    /// and nothing appended, when it ends a line.
    @inline(__always)
    private mutating func takePartialLine(_ input: UnsafeRawBufferPointer) throws(HTTPQError) -> Bool {
        guard ByteSearch.firstIndex(of: Grammar.lf, in: input, from: 0) == nil else { return false }
        if head.count - lineStart + input.count > limits.maxLineBytes {
            throw HTTPQError(.lineTooLong(limit: limits.maxLineBytes), at: consumed)
        }
        if headBase + head.count + input.count > limits.maxHeadBytes {
            throw HTTPQError(.headTooLarge(limit: limits.maxHeadBytes), at: consumed)
        }
        head.append(contentsOf: input)
        return true
    }

    /// Appends input up to and including the next LF to `buffer`, enforcing the line and
    /// section limits. Returns the new input position and, when a line ended, the index of its LF.
    private static func accumulateLine(
        into buffer: inout [UInt8], lineStart: Int, from input: UnsafeRawBufferPointer, at start: Int,
        limits: Limits, totalBefore: Int, offset: Int
    ) throws(HTTPQError) -> (Int, Int?) {
        let lf = ByteSearch.firstIndex(of: Grammar.lf, in: input, from: start)
        let end = lf.map { $0 + 1 } ?? input.count
        let lineLength = buffer.count - lineStart + (end - start) - (lf == nil ? 0 : 1)
        if lineLength > limits.maxLineBytes {
            throw HTTPQError(.lineTooLong(limit: limits.maxLineBytes), at: offset + start)
        }
        if totalBefore + buffer.count + (end - start) > limits.maxHeadBytes {
            throw HTTPQError(.headTooLarge(limit: limits.maxHeadBytes), at: offset + start)
        }
        if buffer.capacity == 0 { buffer.reserveCapacity(max(512, end - start)) }
        buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[start..<end]))
        return (end, lf == nil ? nil : buffer.count - 1)
    }

    /// The fast path of the head: parses every complete line straight from `input`, then
    /// appends the bytes used to `head` in one copy. Returns the input position reached and
    /// the state change, if one happened.
    /// Unless `stops`, it goes on past the start line to the end of the head.
    private mutating func headLinesInPlace(
        _ input: UnsafeRawBufferPointer, from start: Int, stopsAtEvents stops: Bool
    ) throws(HTTPQError) -> (Int, MessageEvent?) {
        var first = start
        if state == .top && role == .request && head.isEmpty {
            // RFC 9112 §2.2: a server should ignore empty lines before a request-line.
            while first + 1 < input.count && input[first] == Grammar.cr && input[first + 1] == Grammar.lf { first += 2 }
            headBase += first - start
        }
        let toHead = head.count - first
        var position = first
        var event: MessageEvent?
        var received = first
        do {
            while event == nil {
                if state == .headers, headerEntries.count < limits.maxFieldCount {
                    // A whole, well-formed field line within the limits in one pass; anything
                    // else goes below (the limits as `checkHeadLimits` reckons them).
                    if let (entry, lineFeed) = FieldLine.scanWhole(input, from: position),
                       lineFeed - position <= limits.maxLineBytes,
                       headBase + head.count + lineFeed + 1 - first <= limits.maxHeadBytes {
                        received = lineFeed + 1
                        try FieldLine.recordFraming(
                            name: UnsafeRawBufferPointer(rebasing: input[entry.name]),
                            value: UnsafeRawBufferPointer(rebasing: input[entry.value]),
                            base: headBase + toHead + entry.value.lowerBound, facts: &facts)
                        appendField(entry, shiftedBy: toHead)
                        position = lineFeed + 1
                        continue
                    }
                }
                guard let lineFeed = ByteSearch.firstIndex(of: Grammar.lf, in: input, from: position) else { break }
                try checkHeadLimits(lineBytes: lineFeed - position, headBytes: head.count + lineFeed + 1 - first,
                                    at: consumed + position)
                received = lineFeed + 1
                event = try headLine(input, start: position, lineFeed: lineFeed, toHead: toHead)
                position = lineFeed + 1
                if !stops, event == .stateChanged(.headers) { event = nil }
            }
        } catch {
            // Keep what was received up to the faulty line, as the line-by-line path does,
            // so `buffer` and the fields found so far agree whatever the split.
            head.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[first..<received]))
            throw error
        }
        let partialStart = position
        if event == nil {
            try checkHeadLimits(lineBytes: input.count - position, headBytes: head.count + input.count - first,
                                at: consumed + position)
            position = input.count
        }
        if head.capacity == 0 { head.reserveCapacity(max(512, position - first)) }
        head.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[first..<position]))
        lineStart = event == nil ? partialStart + toHead : head.count
        return (position, event)
    }

    private func checkHeadLimits(lineBytes: Int, headBytes: Int, at offset: Int) throws(HTTPQError) {
        if lineBytes > limits.maxLineBytes { throw HTTPQError(.lineTooLong(limit: limits.maxLineBytes), at: offset) }
        if headBase + headBytes > limits.maxHeadBytes { throw HTTPQError(.headTooLarge(limit: limits.maxHeadBytes), at: offset) }
    }

    /// Handles one complete head line, `bytes[start...lineFeed]`. `toHead` maps an index in
    /// `bytes` to its index in `head` (0 when `bytes` is `head`).
    private mutating func headLine(
        _ bytes: UnsafeRawBufferPointer, start: Int, lineFeed: Int, toHead: Int
    ) throws(HTTPQError) -> MessageEvent? {
        let base = headBase + toHead
        let contentEnd = try Self.contentEnd(bytes, lineStart: start, lineFeed: lineFeed, leniency: leniency, base: base)
        switch state {
        case .top:
            if contentEnd == start {
                // An empty line before a request line that arrived split across feeds.
                guard role == .request, toHead == 0 else { throw HTTPQError(.malformedStartLine, at: base + start) }
                headBase += head.count
                head.removeAll(keepingCapacity: true)
                lineStart = 0
                return nil
            }
            let line = UnsafeRawBufferPointer(rebasing: bytes[start..<contentEnd])
            switch role {
            case .request:
                let parsed = try StartLine.request(line, base: base + start)
                (method, target, version) = (parsed.method, parsed.target, parsed.version)
            case .response:
                let parsed = try StartLine.status(line, base: base + start)
                (version, status, reason) = (parsed.version, parsed.status, parsed.reason)
            }
            state = .headers
            return .stateChanged(.headers)

        case .headers:
            if contentEnd == start { return try headComplete(at: base + lineFeed + 1) }
            if headerEntries.count >= limits.maxFieldCount {
                throw HTTPQError(.tooManyFields(limit: limits.maxFieldCount), at: base + start)
            }
            // The same five lines as `headLinesInPlace`'s scanned field: a shared inlined helper
            // cost 54 instructions per M1 message in 10-byte pieces (callgrind), so they stay apart.
            if contentEnd == lineFeed - 1, let (entry, end) = FieldLine.scanWhole(bytes, from: start), end == lineFeed {
                try FieldLine.recordFraming(
                    name: UnsafeRawBufferPointer(rebasing: bytes[entry.name]),
                    value: UnsafeRawBufferPointer(rebasing: bytes[entry.value]),
                    base: base + entry.value.lowerBound, facts: &facts)
                appendField(entry, shiftedBy: toHead)
                return nil
            }
            appendField(try FieldLine.parse(bytes, start..<contentEnd, base: base, facts: &facts), shiftedBy: toHead)
            return nil

        case .body:
            preconditionFailure("head line after the head was complete")
        }
    }

    /// Adds a parsed field, its ranges moved from the bytes it was parsed in to `head`.
    @inline(__always)
    private mutating func appendField(_ entry: Headers.Entry, shiftedBy toHead: Int) {
        if headerEntries.isEmpty { headerEntries.reserveCapacity(16) }
        headerEntries.append(Headers.Entry(
            name: (entry.name.lowerBound + toHead)..<(entry.name.upperBound + toHead),
            value: (entry.value.lowerBound + toHead)..<(entry.value.upperBound + toHead)))
    }

    /// The empty line after the fields: decide the framing and enter `.body`.
    private mutating func headComplete(at offset: Int) throws(HTTPQError) -> MessageEvent {
        let framing: BodyFraming
        switch role {
        case .request: framing = try facts.requestFraming(method: method, version: version, at: offset)
        case .response(let method):
            framing = try facts.responseFraming(status: status, version: version, answering: method, at: offset)
        }
        self.framing = framing
        state = .body
        switch framing {
        case .none: phase = .done; isComplete = true
        case .length(let length):
            phase = .lengthBody(remaining: length)
            // A kept body of known length is stored once, not regrown as it arrives (a 16 KiB
            // body arriving in five reads was copied again at each doubling). At most 64 KiB
            // ahead of the bytes: a peer's declared length alone reserves no more than that.
            if keepsBody && body.capacity == 0 && length > 0 { body.reserveCapacity(min(length, limits.maxBodyBytes, 64 << 10)) }
        case .chunked: phase = .chunkSize(value: 0, sawDigit: false); chunkLineBytes = 0
        case .untilClose: phase = .untilClose
        }
        return .stateChanged(.body)
    }

    /// The end of a line's content: the index of its CR, or of its LF when bare LF is allowed.
    static func contentEnd(
        _ bytes: UnsafeRawBufferPointer, lineStart: Int, lineFeed: Int, leniency: Leniency, base: Int
    ) throws(HTTPQError) -> Int {
        if lineFeed > lineStart && bytes[lineFeed - 1] == Grammar.cr { return lineFeed - 1 }
        if leniency.contains(.bareLineFeed) { return lineFeed }
        throw HTTPQError(.bareLineFeed, at: base + lineFeed)
    }

    /// Keeps body bytes when the message keeps its body, within the body limit.
    @inline(__always)
    mutating func keep(_ input: UnsafeRawBufferPointer, _ range: Range<Int>) throws(HTTPQError) {
        guard keepsBody, !range.isEmpty else { return }
        try append(body: input, range)
    }

    private mutating func append(body input: UnsafeRawBufferPointer, _ range: Range<Int>) throws(HTTPQError) {
        if body.count + range.count > limits.maxBodyBytes {
            throw HTTPQError(.bodyTooLarge(limit: limits.maxBodyBytes), at: consumed + range.lowerBound)
        }
        body.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[range]))
    }
}
