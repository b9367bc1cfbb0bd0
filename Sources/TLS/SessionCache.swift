import COpenSSL
import EvLoop

/// The last resumable session per host and port, so that the next connection to a host
/// resumes (a PSK handshake: no certificate sent, parsed or checked again) like curl and wrk
/// do. One per client context, so sessions never cross trust settings; shared by every loop.
final class SessionCache: Sendable {
    private struct Entries: @unchecked Sendable {
        var sessions: [String: OpaquePointer] = [:]
    }

    private let entries = Locked(Entries())
    /// Hosts remembered at most; beyond it the cache starts over (a fetch across more hosts
    /// than this pays full handshakes, as without a cache).
    private let capacity = 4096

    deinit {
        entries.withLock { for session in $0.sessions.values { SSL_SESSION_free(session) } }
    }

    /// A session for `key` to resume, with a reference the caller frees (nil: none).
    func session(for key: String) -> OpaquePointer? {
        entries.withLock { entries in
            guard let session = entries.sessions[key] else { return nil }
            _ = SSL_SESSION_up_ref(session)
            return session
        }
    }

    /// Keeps `session` (whose reference the cache takes over) as `key`'s latest.
    func remember(_ session: OpaquePointer, for key: String) {
        let replaced: [OpaquePointer] = entries.withLock { entries in
            var dropped: [OpaquePointer] = []
            if entries.sessions.count >= capacity, entries.sessions[key] == nil {
                dropped = Array(entries.sessions.values)
                entries.sessions = [:]
            }
            if let old = entries.sessions.updateValue(session, forKey: key) { dropped.append(old) }
            return dropped
        }
        for old in replaced { SSL_SESSION_free(old) }
    }

    /// Forgets `key`'s session (its resumption failed, or its connection broke).
    func forget(_ key: String) {
        let old = entries.withLock { $0.sessions.removeValue(forKey: key) }
        if let old { SSL_SESSION_free(old) }
    }
}
