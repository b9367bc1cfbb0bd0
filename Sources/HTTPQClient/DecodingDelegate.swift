import Codings
import HTTPQ

/// Decodes the answer's body (`Content-Encoding`) between the client and the caller's
/// delegate: each slice is decoded as it arrives and handed on in pieces of 64 KiB at most,
/// so memory stays flat; a kept body (`keepsBody`) is replaced by its decoded bytes.
/// A body that cannot be decoded ends the request with `decodingFailed` and closes its
/// connection (the rest of a bomb is not read).
final class DecodingDelegate: RequestDelegate {
    private let downstream: RequestDelegate
    private let limits: DecodingLimits
    private let keepsBody: Bool
    private let abort: CancelOnce
    private var decoder: ContentDecoder?
    private var decoded: [UInt8] = []
    /// Set when decoding failed: the request ends with it, whatever the connection says next.
    private var failure: ClientError?

    init(downstream: RequestDelegate, decompression: Decompression, keepsBody: Bool, maxKeptBytes: Int, abort: CancelOnce) {
        self.downstream = downstream
        var limits = decompression.limits
        if keepsBody { limits.maxBytes = min(limits.maxBytes, maxKeptBytes) } // what is kept must fit where it is kept
        self.limits = limits
        self.keepsBody = keepsBody
        self.abort = abort
    }

    func request(didStartWith control: ReadControl) { downstream.request(didStartWith: control) }

    func request(didRedirect response: Response, to url: HTTPURL) { downstream.request(didRedirect: response, to: url) }

    func request(didChange state: State, of response: Response) {
        if state == .body {
            decoder = nil
            decoded = []
            let codings = response.headers.values(for: "Content-Encoding").joined(separator: ",")
            if !codings.isEmpty {
                do throws(DecodingError) {
                    decoder = try ContentDecoder(contentEncoding: codings, limits: limits)
                } catch {
                    return stop(error)
                }
            }
        }
        downstream.request(didChange: state, of: response)
    }

    func request(didReceiveBody bytes: RawSpan) {
        guard failure == nil else { return }
        guard let decoder else { return downstream.request(didReceiveBody: bytes) }
        do throws(DecodingError) {
            try bytes.withUnsafeBytes { (coded) throws(DecodingError) in
                try decoder.decode(coded) { piece in
                    if keepsBody { decoded.append(contentsOf: piece) }
                    downstream.request(didReceiveBody: piece.bytes)
                }
            }
        } catch {
            stop(error)
        }
    }

    func request(didComplete response: Response) {
        if let failure { return downstream.request(didFail: failure) }
        guard let decoder else { return downstream.request(didComplete: response) }
        do throws(DecodingError) {
            try decoder.finish()
        } catch {
            return downstream.request(didFail: .decodingFailed(error))
        }
        var answer = response
        if keepsBody { answer.body = decoded }
        decoded = []
        downstream.request(didComplete: answer)
    }

    func request(didFail error: ClientError) { downstream.request(didFail: failure ?? error) }

    /// Ends the request with `error`: its connection is closed (on a later turn; the
    /// failure is remembered so whichever end comes first reports it).
    private func stop(_ error: DecodingError) {
        guard failure == nil else { return }
        failure = .decodingFailed(error)
        abort.fire(failure!)
    }
}
