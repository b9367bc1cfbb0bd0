import CEv

/// Readiness of one file descriptor. Created by `EventLoop.watch(fileDescriptor:for:_:)`.
///
/// Loop's thread only, except `cancel()`. The watcher does not own the descriptor: cancel
/// it before closing the descriptor (libev's "special problem of disappearing descriptors").
public final class IOWatcher: Watcher, @unchecked Sendable {
    /// The descriptor watched.
    public let fileDescriptor: Int32
    let io: UnsafeMutablePointer<ev_io>
    private var handler: ((IOEvents) -> Void)?
    private var events: IOEvents

    init(loop: EventLoop, fileDescriptor: Int32, events: IOEvents, handler: @escaping (IOEvents) -> Void) {
        self.fileDescriptor = fileDescriptor
        self.events = events
        self.handler = handler
        io = allocateWatcherStruct(ev_io.self)
        super.init(loop: loop)
        cev_io_init(io, ioCallback, fileDescriptor, events.rawValue)
        cev_set_data(io, Unmanaged.passUnretained(self).toOpaque())
    }

    deinit { freeWatcherStruct(io) }

    /// What the descriptor is watched for. Setting an empty set pauses the watcher;
    /// setting a non-empty one resumes it (unless cancelled).
    public var interest: IOEvents {
        get { events }
        set {
            loop.preconditionInLoop()
            guard newValue != events || !isLinked else { return }
            events = newValue.intersection([.read, .write])
            deactivate()
            cev_io_set(io, fileDescriptor, events.rawValue)
            if !events.isEmpty { activate() }
        }
    }

    override func startWatcher() { ev_io_start(loop.raw, io) }
    override func stopWatcher() { ev_io_stop(loop.raw, io) }

    func fire(_ revents: Int32) {
        guard !isCancelled else { return }
        let events = IOEvents(rawValue: revents)
        if events.contains(.error) { deactivate() }
        guard let handler else { return }
        handler(events) // a local copy: the callback may cancel this watcher and drop its own
    }

    override func releaseHandler() {
        handler = nil
    }
}

extension EventLoop {
    /// Watches `fileDescriptor` for readiness; `handler` runs on the loop's thread with the
    /// events that are ready. Loop's thread only. The returned watcher is active at once.
    public func watch(fileDescriptor: Int32, for events: IOEvents,
                      _ handler: @escaping (IOEvents) -> Void) -> IOWatcher {
        preconditionInLoop()
        let watcher = IOWatcher(loop: self, fileDescriptor: fileDescriptor,
                                events: events.intersection([.read, .write]), handler: handler)
        if !watcher.interest.isEmpty { watcher.activate() }
        return watcher
    }
}
