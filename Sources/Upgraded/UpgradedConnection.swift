import EvLoop
import Sockets
import TLS

/// A connection taken out of HTTP after `101 Switching Protocols` (a WebSocket, an echo
/// protocol, anything the two sides agreed on in `Upgrade`): the socket, its TLS session if
/// any, and the bytes that already arrived behind the HTTP head — the new protocol's first
/// bytes, which must not be lost.
///
/// Loop-confined: use it on `loop`'s thread (the hand-over callbacks are called there).
///
/// ```swift
/// upgraded.start(onBytes: { bytes in upgraded.write(Array(bytes)) },   // echo
///                onEnd: { _ in upgraded.close() })
/// ```
public final class UpgradedConnection: @unchecked Sendable {
    /// Why reading ended.
    public enum End: Error, Sendable, Equatable {
        /// The peer closed its side (over TLS: with close_notify).
        case closed
        /// The peer closed a TLS connection without close_notify (it may have been cut).
        case closedWithoutNotify
        /// A read or write failed with this errno.
        case failed(errno: Int32)
        /// TLS failed.
        case tls(TLSError)
    }

    /// The loop it lives on.
    public let loop: EventLoop
    /// Bytes that came behind the HTTP head before the hand-over (given to `onBytes` first
    /// by `start`).
    public let initialBytes: [UInt8]
    /// Whether the connection speaks TLS (reads and writes then must go through this object).
    public var usesTLS: Bool { tls != nil }

    private var fd: Int32
    private var tls: TLSStream?
    private var driver = ReadinessDriver()
    private var writes = WriteQueue()
    private var watcher: IOWatcher?
    private var onBytes: ((UnsafeRawBufferPointer) -> Void)?
    private var onEnd: ((End?) -> Void)?
    private var closeAfterWrites = false

    package init(fd: Int32, tls: TLSStream?, loop: EventLoop, initialBytes: [UInt8]) {
        self.fd = fd
        self.tls = tls
        self.loop = loop
        self.initialBytes = initialBytes
    }

    deinit {
        if fd >= 0 { SystemCalls.close(fd) }
    }

    private var channel: Channel { Channel(fd: fd, tls: tls) }

    /// Whether it was closed (or its descriptor taken).
    public var isClosed: Bool { fd < 0 }

    /// Starts reading: `onBytes` gets `initialBytes` (if any), then each slice as it arrives
    /// (valid only during the call); `onEnd` once, when the peer closes or a call fails
    /// (nil: closed by `close()`).
    public func start(onBytes: @escaping (UnsafeRawBufferPointer) -> Void, onEnd: @escaping (End?) -> Void) {
        loop.preconditionInLoop()
        guard fd >= 0 else { return onEnd(nil) }
        self.onBytes = onBytes
        self.onEnd = onEnd
        watcher = loop.watch(fileDescriptor: fd, for: .read) { [unowned self] events in
            withExtendedLifetime(self) { ready(readable: events.contains(.read) || events.contains(.error), writable: events.contains(.write)) }
        }
        if !initialBytes.isEmpty { initialBytes.withUnsafeBytes { onBytes($0) } }
        // TLS may already hold decrypted bytes the socket will not signal again.
        if channel.hasBufferedInput { loop.execute { [weak self] in self?.readAll() } }
    }

    /// Sends `bytes` (queued behind earlier writes; written as the socket takes them).
    public func write(_ bytes: [UInt8]) {
        loop.preconditionInLoop()
        guard fd >= 0, !bytes.isEmpty else { return }
        channel.sendOrQueue(bytes, &writes)
        flush()
    }

    /// Closes once everything written has gone: TLS close_notify, then the socket. `onEnd`
    /// hears nil.
    public func close() {
        loop.preconditionInLoop()
        guard fd >= 0 else { return }
        if writes.isEmpty { finish(nil) } else { closeAfterWrites = true }
    }

    /// A plain connection's descriptor, taken out: the caller owns it and this object lets
    /// go of it (nil over TLS, whose session state lives here, or once closed).
    public func takeDescriptor() -> Int32? {
        loop.preconditionInLoop()
        guard fd >= 0, tls == nil else { return nil }
        watcher?.cancel()
        watcher = nil
        defer { fd = -1 }
        return fd
    }

    private func ready(readable: Bool, writable: Bool) {
        let steps = driver.ready(readable: readable, writable: writable)
        if steps.readFirst { readAll() }
        if steps.flush && fd >= 0 { flush() }
        if steps.read && fd >= 0 { readAll() }
    }

    private func readAll() {
        guard fd >= 0, let onBytes else { return }
        let stop = ReadinessDriver.readAvailable(from: channel, into: loop.sharedReadBuffer, rounds: 16,
                                                 keepReading: { fd >= 0 }, deliver: onBytes)
        driver.noteRead(stop)
        switch stop {
        case .end: finish(.closed)
        case .endWithoutNotify: finish(.closedWithoutNotify)
        case .failed(.system(let code)): finish(.failed(errno: code))
        case .failed(.tls(let error)): finish(.tls(error))
        case .readLater, .yielded: loop.execute { [weak self] in self?.readAll() }
        case .needsWritable: updateInterest()
        case .drained, .stopped: break
        }
    }

    private func flush() {
        guard fd >= 0 else { return }
        let outcome = channel.flush(&writes)
        driver.noteFlush(outcome)
        switch outcome {
        case .failed(.system(let code)): return finish(.failed(errno: code))
        case .failed(.tls(let error)): return finish(.tls(error))
        default: break
        }
        if writes.isEmpty && closeAfterWrites { return finish(nil) }
        updateInterest()
    }

    private func updateInterest() {
        guard let watcher else { return }
        let wanted = driver.interest(wantsInput: onBytes != nil, wantsOutput: !writes.isEmpty)
        var interest: IOEvents = []
        if wanted.read { interest.insert(.read) }
        if wanted.write { interest.insert(.write) }
        if watcher.interest != interest { watcher.interest = interest }
    }

    private func finish(_ end: End?) {
        guard fd >= 0 else { return }
        watcher?.cancel()
        watcher = nil
        tls?.close()
        tls = nil
        SystemCalls.close(fd)
        fd = -1
        writes.removeAll()
        let onEnd = self.onEnd
        self.onEnd = nil
        onBytes = nil
        onEnd?(end)
    }
}
