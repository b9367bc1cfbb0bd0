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

    /// Creates the file `name` in the directory `directory`, which must not exist yet
    /// (`O_EXCL`; a symbolic link there is not followed), for writing.
    package static func createNew(in directory: Int32, _ name: String, mode: UInt32 = 0o644) -> Outcome<Int32> {
        while true {
            let fd = openat(directory, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
            if fd >= 0 { return .ok(fd) }
            if errno == EINTR { continue }
            return .failed(errno)
        }
    }

    /// Writes all of `bytes` to the file `fd`; the errno of a failure, nil when written.
    package static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32? {
        var offset = 0
        while offset < bytes.count {
            let count = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if count > 0 { offset += count; continue }
            if count < 0 && errno == EINTR { continue }
            return count == 0 ? ENOSPC : errno
        }
        return nil
    }

    /// Renames `from` to `to` within `directory`, replacing what `to` named (atomically);
    /// the errno of a failure, nil when done.
    package static func rename(in directory: Int32, _ from: String, to: String) -> Int32? {
        renameat(directory, from, directory, to) == 0 ? nil : errno
    }

    /// Removes the file `name` from `directory` (nothing if it is gone).
    package static func remove(in directory: Int32, _ name: String) {
        _ = unlinkat(directory, name, 0)
    }

    /// What `name` in `directory` is (a symbolic link is not followed); nil if nothing is there.
    package static func status(in directory: Int32, _ name: String) -> FileStatus? {
        var info = stat()
        guard fstatat(directory, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { return nil }
        let type = info.st_mode & S_IFMT
        return FileStatus(isRegular: type == S_IFREG, isDirectory: type == S_IFDIR, size: Int(info.st_size))
    }

    /// The system's words for an errno (`No such file or directory`).
    package static func describe(_ code: Int32) -> String { String(cString: strerror(code)) }
}
