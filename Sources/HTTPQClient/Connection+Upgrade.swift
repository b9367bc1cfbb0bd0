import HTTPQ
import Upgraded

/// Leaving HTTP after a `101 Switching Protocols` the request asked for.
extension Connection {
    /// Hands the socket, its TLS session and the bytes read behind the `101` head (`rest`,
    /// and any read while paused) to `onSwitch`; this connection is closed for HTTP and lets
    /// go of them without closing them.
    func switchProtocols(rest: [UInt8], _ onSwitch: (Response, UpgradedConnection) -> Void) {
        let answer = response
        core.closed()
        connectTimer?.cancel(); connectTimer = nil
        requestTimer?.cancel(); requestTimer = nil
        idleTimer?.cancel(); idleTimer = nil
        watcher?.cancel()
        watcher = nil
        let upgraded = UpgradedConnection(fd: fd, tls: tls, loop: loop, initialBytes: pendingInput + rest)
        pendingInput = []
        fd = -1
        tls = nil
        delegate = nil
        self.onSwitch = nil
        let onClose = self.onClose
        self.onClose = nil
        onClose?()
        options.logger?.debug("switched protocols", metadata: ["host": "\(host)", "upgrade": "\(answer.headers["Upgrade"] ?? "")"])
        onSwitch(answer, upgraded)
    }
}
