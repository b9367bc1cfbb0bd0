#if canImport(Glibc)
import Glibc
#endif
import Sockets

/// Why a server (or its access log) could not start.
public enum ServerError: Error, Sendable, CustomStringConvertible, Equatable {
    /// `socket`, `bind` or `listen` failed for an address.
    case cannotListen(address: String, call: String, errno: Int32)
    /// `start()` was called twice, or after `shutdown`.
    case alreadyStarted
    /// The access log's file could not be opened (or its writer thread not started).
    case cannotOpenLog(path: String, errno: Int32)

    public var description: String {
        switch self {
        case .cannotListen(let address, let call, let code):
            "cannot listen on \(address): \(call) failed: \(SystemCalls.describe(code))"
        case .alreadyStarted:
            "the server was already started"
        case .cannotOpenLog(let path, let code):
            "cannot open the access log \(path): \(SystemCalls.describe(code))"
        }
    }
}
