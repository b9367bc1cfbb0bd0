import COpenSSL
import Locks

/// Resumable sessions per host and port, so that a new connection to a host resumes (a PSK
/// handshake: no certificate sent, parsed or checked again). Every ticket a server sends is
/// kept (OpenSSL's new-session callback: two per full TLS 1.3 handshake), and each is used
/// once: RFC 8446 appendix C.4 asks it, and servers refuse a ticket offered by several
/// connections at once (measured: of four connections offering one ticket, one resumed).
/// One cache per client context, so sessions never cross trust settings; shared by every loop.
final class SessionCache: Sendable {
    private struct Entries: @unchecked Sendable {
        var sessions: [String: [OpaquePointer]] = [:]
        var count = 0
    }

    private let entries = Locked(Entries())
    /// Sessions kept per host (the newest), and in all; beyond the total the cache starts
    /// over (a fetch across more hosts than that pays full handshakes, as without a cache).
    private let perHost = 16
    private let capacity = 16_384

    deinit {
        entries.withLock { for list in $0.sessions.values { list.forEach { SSL_SESSION_free($0) } } }
    }

    /// A session for `key` to resume, taken out of the cache: the caller owns its reference.
    func take(for key: String) -> OpaquePointer? {
        entries.withLock { entries in
            guard let session = entries.sessions[key]?.popLast() else { return nil }
            entries.count -= 1
            if entries.sessions[key]?.isEmpty == true { entries.sessions[key] = nil }
            return session
        }
    }

    /// Keeps `session` (whose reference the cache takes over) for `key`.
    func remember(_ session: OpaquePointer, for key: String) {
        let dropped: [OpaquePointer] = entries.withLock { entries in
            var dropped: [OpaquePointer] = []
            if entries.count >= capacity {
                dropped = entries.sessions.values.flatMap { $0 }
                entries.sessions = [:]
                entries.count = 0
            }
            var list = entries.sessions[key] ?? []
            if list.count >= perHost {
                dropped.append(list.removeFirst())
                entries.count -= 1
            }
            list.append(session)
            entries.count += 1
            entries.sessions[key] = list
            return dropped
        }
        for old in dropped { SSL_SESSION_free(old) }
    }

    /// Forgets `key`'s sessions (a handshake with the host failed).
    func forget(_ key: String) {
        let dropped = entries.withLock { entries -> [OpaquePointer] in
            let list = entries.sessions.removeValue(forKey: key) ?? []
            entries.count -= list.count
            return list
        }
        for old in dropped { SSL_SESSION_free(old) }
    }
}
