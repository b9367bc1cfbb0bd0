import HTTPQ

/// Follows one request's redirects: stands between the pool and the caller's delegate,
/// decides at each response head (`RedirectChain`) whether it is the answer, and if not,
/// swallows its body and sends the next hop when it ends. The caller's delegate hears only
/// the answer (and `didRedirect` for each hop followed).
///
/// Hops may run on different loops (each host has its own); they never overlap, and each
/// starts from the end of the last, so the delegate is called by one thread at a time.
final class RedirectFollower: RequestDelegate, @unchecked Sendable {
    private let client: Client // a cycle only while a hop runs: the pool lets go of it at the end
    @exclusivity(unchecked) private var chain: RedirectChain
    @exclusivity(unchecked) private var request: Request
    private let body: UploadBody?
    private let deadline: ContinuousClock.Instant?
    private let downstream: RequestDelegate
    /// Ends whichever hop is running when the caller cancels.
    private let cancel: CancelOnce
    /// What the current response's head decided.
    @exclusivity(unchecked) private var step: RedirectChain.Step = .deliver
    /// The `.headers` state of the current response, told only once it is known to be the answer.
    @exclusivity(unchecked) private var heldHeaders = false

    init(client: Client, policy: RedirectPolicy, request: Request, body: UploadBody?, url: HTTPURL,
         deadline: ContinuousClock.Instant?, downstream: RequestDelegate, abort: CancelOnce) {
        cancel = abort
        self.client = client
        chain = RedirectChain(policy: policy, url: url, method: request.method)
        self.request = request
        self.body = body
        self.deadline = deadline
        self.downstream = downstream
    }

    /// Sends the first hop (`inline`: queued at once when on its pool's loop; see `Client.start`).
    func start(inline: Bool = false) {
        cancel.set(client.startHop(request, body: body, to: chain.url, deadline: deadline, delegate: self, inline: inline))
    }

    func request(didStartWith control: ReadControl) { downstream.request(didStartWith: control) }

    func request(didChange state: State, of response: Response) {
        switch state {
        case .top:
            break
        case .headers:
            step = .deliver
            heldHeaders = true // the status is known, the Location not yet
        case .body:
            let hasBody = !request.body.isEmpty || body != nil
            step = chain.step(status: response.status, location: response.headers["Location"],
                              hasBody: hasBody, bodyReplayable: body?.isReplayable ?? true)
            guard case .deliver = step else { return }
            if heldHeaders { downstream.request(didChange: .headers, of: response) }
            heldHeaders = false
            downstream.request(didChange: .body, of: response)
        }
    }

    func request(didReceiveBody bytes: RawSpan) {
        if case .deliver = step { downstream.request(didReceiveBody: bytes) }
    }

    func request(didComplete response: Response) {
        switch step {
        case .deliver:
            downstream.request(didComplete: response)
        case .fail(let error):
            downstream.request(didFail: error)
        case .follow(let url, _, let keepsBody, _):
            request = RedirectChain.nextRequest(request, for: step)
            step = .deliver
            downstream.request(didRedirect: response, to: url)
            cancel.set(client.startHop(request, body: keepsBody ? body : nil, to: url, deadline: deadline, delegate: self))
        }
    }

    func request(didFail error: ClientError) { downstream.request(didFail: error) }
}
