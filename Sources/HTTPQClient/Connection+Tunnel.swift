import EvLoop
import HTTPQ
import Sockets
import TLS

/// A `CONNECT` tunnel through an HTTP proxy (RFC 9110 §9.3.6): the request goes out in
/// the clear to the proxy, its answer is read head only (a 2xx to CONNECT has no body), and
/// what follows is the origin's: TLS starts on the same socket.
extension Connection {
    /// Sends `CONNECT host:port` (with the proxy's credentials, if any).
    func openTunnel() {
        let authority = "\(host.contains(":") ? "[\(host)]" : host):\(port)" // authority-form: the port always
        var headers: Headers = ["Host": authority]
        if let authorization = proxy?.authorization { headers.add("Proxy-Authorization", authorization) }
        let request = Request(method: "CONNECT", target: authority, headers: headers)
        options.logger?.debug("tunnel", metadata: ["proxy": "\(proxy.map(\.description) ?? "")", "to": "\(authority)"])
        writes.append(request.rawHead)
        continueTunnel([.write])
    }

    /// Writes the CONNECT request, then reads the proxy's answer until its head is whole.
    func continueTunnel(_ events: IOEvents) {
        guard case .tunneling = phase else { return }
        if !writes.isEmpty {
            switch channel.flush(&writes) {
            case .done: break
            case .wouldBlock, .needsReadable:
                watcher?.interest = .write
                return
            case .failed(.system(let code)): return fail(.systemCallFailed(call: "write", errno: code))
            case .failed(.tls(let error)): return fail(.tls(error))
            }
        }
        watcher?.interest = .read
        let buffer = loop.sharedReadBuffer
        // Byte by byte would be slow; but no byte past the head may be taken (it is TLS's),
        // and a proxy sends nothing past its answer before the client speaks.
        switch channel.read(into: buffer) {
        case .bytes(let count):
            let input = UnsafeRawBufferPointer(rebasing: buffer[..<count])
            let proxyName = proxy.map(\.description) ?? ""
            do {
                var offset = 0
                while offset < input.count && !tunnelAnswer.isComplete {
                    let step = try tunnelAnswer.consume(UnsafeRawBufferPointer(rebasing: input[offset...]))
                    offset += step.consumed
                    if step.consumed == 0 && step.event == nil { break }
                }
                guard tunnelAnswer.isComplete || tunnelAnswer.state == .body else { return }
                let refused = !(200..<300).contains(tunnelAnswer.status)
                guard offset == input.count || refused else {
                    return fail(.proxyFailed(proxy: proxyName, reason: "it sent bytes after its answer to CONNECT"))
                }
            } catch {
                return fail(.proxyFailed(proxy: proxyName, reason: "its answer to CONNECT is malformed: \(error)"))
            }
            perform(core.tunnelAnswered(status: tunnelAnswer.status, usesTLS: usesTLS, proxy: proxyName))
            tunnelAnswer = Response()
        case .end, .endWithoutNotify: fail(.proxyFailed(proxy: proxy.map(\.description) ?? "", reason: "it closed before answering CONNECT"))
        case .wouldBlock, .needsWritable: return
        case .failed(.system(let code)): fail(.systemCallFailed(call: "read", errno: code))
        case .failed(.tls(let error)): fail(.tls(error))
        }
    }
}
