#if canImport(Glibc)
import Glibc
#endif

extension SystemCalls {
    /// Opens `path` read-only and close-on-exec; with `directory`, it must be a directory.
    package static func openForReading(_ path: String, directory: Bool = false) -> Outcome<Int32> {
        while true {
            let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | (directory ? O_DIRECTORY : 0))
            if fd >= 0 { return .ok(fd) }
            if errno == EINTR { continue }
            return .failed(errno)
        }
    }

    /// Reads up to `buffer.count` bytes of `fd` from `offset` without moving its position:
    /// `.ok(0)` at end of file.
    package static func pread(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int) -> Outcome<Int> {
        while true {
            let count = Glibc.pread(fd, buffer.baseAddress, buffer.count, off_t(offset))
            if count >= 0 { return .ok(count) }
            if errno == EINTR { continue }
            return .failed(errno)
        }
    }

    /// What an open descriptor is, and its size.
    package struct FileStatus {
        /// A regular file.
        package var isRegular: Bool
        /// A directory.
        package var isDirectory: Bool
        /// Its size in bytes.
        package var size: Int
    }

    /// The type and size of the open file `fd`.
    package static func status(of fd: Int32) -> Outcome<FileStatus> {
        var info = stat()
        guard fstat(fd, &info) == 0 else { return .failed(errno) }
        let type = info.st_mode & S_IFMT
        return .ok(FileStatus(isRegular: type == S_IFREG, isDirectory: type == S_IFDIR, size: Int(info.st_size)))
    }

    /// The system's words for an errno (`No such file or directory`).
    package static func describe(_ code: Int32) -> String { String(cString: strerror(code)) }
}
