import CEv

/// The kernel interface libev polls with. `.epoll` is the default on Linux.
public enum Backend: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    case select, poll, epoll, linuxAIO, ioUring, kqueue, devPoll, port

    var flag: UInt32 {
        switch self {
        case .select: UInt32(EVBACKEND_SELECT)
        case .poll: UInt32(EVBACKEND_POLL)
        case .epoll: UInt32(EVBACKEND_EPOLL)
        case .linuxAIO: UInt32(EVBACKEND_LINUXAIO)
        case .ioUring: UInt32(EVBACKEND_IOURING)
        case .kqueue: UInt32(EVBACKEND_KQUEUE)
        case .devPoll: UInt32(EVBACKEND_DEVPOLL)
        case .port: UInt32(EVBACKEND_PORT)
        }
    }

    init?(flag: UInt32) {
        guard let match = Backend.allCases.first(where: { $0.flag == flag }) else { return nil }
        self = match
    }

    /// The backends libev was built with and this system supports.
    public static var supported: [Backend] {
        let mask = ev_supported_backends()
        return allCases.filter { mask & $0.flag != 0 }
    }

    public var description: String { rawValue }
}
