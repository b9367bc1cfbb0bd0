import Sockets

/// Says why a file cannot be read, in the system's words, before OpenSSL tries it (OpenSSL's
/// own report of a missing file is a code, not a sentence).
enum FileCheck {
    /// nil when `path` opens for reading, else the reason (`No such file or directory`).
    static func problem(_ path: String) -> String? {
        switch SystemCalls.openForReading(path) {
        case .ok(let fd):
            SystemCalls.close(fd)
            return nil
        case .failed(let code):
            return SystemCalls.describe(code)
        case .wouldBlock:
            return nil
        }
    }
}
