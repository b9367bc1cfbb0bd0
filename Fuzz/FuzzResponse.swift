// libFuzzer target: response parsing, answering GET or HEAD (the seed byte's low bit). The
// outcome fed in pieces must equal the outcome fed whole; serialising a parsed response and
// parsing it again must give the same message.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzResponse(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let seed = bytes[0]
    let method = seed & 1 == 0 ? "GET" : "HEAD"
    let data = UnsafeRawBufferPointer(start: bytes + 1, count: size - 1)
    var limits = Limits.default
    limits.maxBodyBytes = 1 << 20
    func run(_ input: [UnsafeRawBufferPointer]) -> Outcome {
        outcome(of: input, make: { () -> Response in var r = Response(answering: method, limits: limits); r.keepsBody = true; return r },
                feed: { (message: inout Response, piece: UnsafeRawBufferPointer) throws(HTTPQError) -> Int in try message.feed(piece) },
                finish: { (message: inout Response) throws(HTTPQError) in try message.finish() },
                complete: { $0.isComplete },
                describe: { "\($0.version) \($0.status) \($0.reason) \($0.headers.fields) \($0.body) \($0.trailers.fields)" })
    }
    let whole = run(data.isEmpty ? [] : [data])
    let split = run(pieces(of: data, seed: seed))
    precondition(whole == split, "whole and split feeds disagree: \(whole) vs \(split)")

    // Round trip: a complete GET response with a length-framed or chunked body re-parses the same.
    var first = Response(answering: method, limits: limits)
    first.keepsBody = true
    if method == "GET", let used = try? first.feed(data), used > 0, first.isComplete, !first.isInformational,
       first.framing != .untilClose {
        var again = Response(answering: method, limits: limits)
        again.keepsBody = true
        let raw = first.raw
        if (try? again.feed(raw)) != nil {
            precondition(again.isComplete && again.status == first.status && again.body == first.body,
                         "raw of a parsed response parses differently")
        }
    }
    return 0
}
