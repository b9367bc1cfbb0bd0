#if canImport(Glibc)
import Glibc
#endif

/// Why a server could not start.
public enum ServerError: Error, Sendable, CustomStringConvertible, Equatable {
    /// `socket`, `bind` or `listen` failed for an address.
    case cannotListen(address: String, call: String, errno: Int32)
    /// `start()` was called twice, or after `shutdown`.
    case alreadyStarted

    public var description: String {
        switch self {
        case .cannotListen(let address, let call, let code):
            "cannot listen on \(address): \(call) failed: \(String(cString: strerror(code)))"
        case .alreadyStarted:
            "the server was already started"
        }
    }
}
