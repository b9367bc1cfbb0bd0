#if canImport(Glibc)
import Glibc
#endif

/// Says why a file cannot be read, in the system's words, before OpenSSL tries it (OpenSSL's
/// own report of a missing file is a code, not a sentence).
enum FileCheck {
    /// nil when `path` opens for reading, else the reason (`No such file or directory`).
    static func problem(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return String(cString: strerror(errno)) }
        close(fd)
        return nil
    }
}
