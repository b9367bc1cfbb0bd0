// libFuzzer target: request parsing. The first byte seeds how the rest is cut; the outcome
// fed in pieces must equal the outcome fed whole (and nothing may crash, hang or leak).

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRequest(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let seed = bytes[0]
    let data = UnsafeRawBufferPointer(start: bytes + 1, count: size - 1)
    var limits = Limits.default
    limits.maxBodyBytes = 1 << 20
    func run(_ input: [UnsafeRawBufferPointer]) -> Outcome {
        outcome(of: input, make: { () -> Request in var r = Request(limits: limits); r.keepsBody = true; return r },
                feed: { (message: inout Request, piece: UnsafeRawBufferPointer) throws(HTTPQError) -> Int in try message.feed(piece) },
                finish: { (message: inout Request) throws(HTTPQError) in try message.finish() },
                complete: { $0.isComplete },
                describe: { "\($0.method) \($0.target) \($0.version) \($0.headers.fields) \($0.body) \($0.trailers.fields)" })
    }
    let whole = run(data.isEmpty ? [] : [data])
    let split = run(pieces(of: data, seed: seed))
    precondition(whole == split, "whole and split feeds disagree: \(whole) vs \(split)")
    if whole.error == nil, let first = whole.messages.first { _ = first.count }
    return 0
}
