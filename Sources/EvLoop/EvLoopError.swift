#if canImport(Glibc)
import Glibc
#endif

/// What can go wrong setting up a loop or its threads.
public enum EvLoopError: Error, Hashable, Sendable, CustomStringConvertible {
    /// `ev_loop_new` returned NULL (no backend could start, or descriptors ran out).
    case loopCreationFailed(Backend?)
    /// The requested backend is not compiled into libev or not supported by this kernel.
    case backendUnavailable(Backend)
    /// `pthread_create` failed with this errno.
    case threadCreationFailed(errno: Int32)
    /// `shutdown()` was called on the loop's own thread, which it would have to join.
    case shutdownFromLoopThread

    public var description: String {
        switch self {
        case .loopCreationFailed(let backend?): "could not create a libev loop with the \(backend) backend"
        case .loopCreationFailed(nil): "could not create a libev loop"
        case .backendUnavailable(let backend): "the \(backend) backend is not available here"
        case .threadCreationFailed(let code): "could not start a loop thread: \(String(cString: strerror(code))) (errno \(code))"
        case .shutdownFromLoopThread: "shutdown() called on the loop's own thread; call it from another thread"
        }
    }
}
