import EvLoop
import HTTPQ

/// A pooled connection: forwards its connection's events to the request it is running,
/// and hands itself back to the pool when the request ends.
final class PooledConnection: ConnectionDelegate {
    unowned let pool: LoopPool
    let key: LoopPool.HostKey
    /// Its host's pool in `pool.hosts` (which never lets go of one): found once, not hashed
    /// for on every release.
    unowned let hostPool: LoopPool.HostPool
    var connection: Connection?
    var current: PendingRequest?
    var requestsServed = 0
    /// Where it sits in the pool's `busy` list while it runs a request (-1: not there).
    var busyIndex = -1
    var idleSince: Double = 0

    init(pool: LoopPool, key: LoopPool.HostKey, hostPool: LoopPool.HostPool) {
        self.pool = pool
        self.key = key
        self.hostPool = hostPool
    }

    func run(_ task: PendingRequest) {
        current = task
        task.runningOn = ObjectIdentifier(self)
        pool.markBusy(self)
        guard let connection else { return }
        task.delegate.request(didStartWith: ReadControl(connection))
        connection.sendFramed(task.request, body: task.body) // framed in `Client.startHop`
    }

    private func finish() -> PendingRequest? {
        guard let task = current else { return nil }
        current = nil
        task.end()
        requestsServed += 1
        pool.markNotBusy(self)
        return task
    }

    func connection(_ connection: Connection, didChange state: State, of response: Response) {
        current?.delegate.request(didChange: state, of: response)
    }

    func connection(_ connection: Connection, didReceiveBody bytes: RawSpan) {
        current?.delegate.request(didReceiveBody: bytes)
    }

    func connection(_ connection: Connection, didComplete response: Response) {
        guard let task = finish() else { return }
        task.delegate.request(didComplete: response)
        if connection.isReusable && !connection.isClosed { pool.release(self) }
    }

    func connection(_ connection: Connection, didFail error: any Error) {
        guard let task = current else { return }
        let error = error as? ClientError ?? .cancelled
        // A pooled connection the server closed just as it was reused: nothing of the
        // response arrived, so an idempotent request may go once more on a fresh connection.
        let stale = requestsServed > 0 && !connection.responseStarted
            && (error == .closedBeforeHead || error == .cancelled)
        _ = finish()
        if stale && !task.aborted && task.isRetryable && task.attempts == 0 && !pool.isShutDown {
            task.finished = false
            pool.retry(task)
        } else {
            task.delegate.request(didFail: error)
        }
    }
}
