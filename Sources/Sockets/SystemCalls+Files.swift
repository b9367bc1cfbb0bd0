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
        /// Its inode number (with size and modification time, what names this version of it).
        package var inode: UInt64 = 0
        /// When it was last modified: seconds since the epoch, and the nanoseconds within.
        package var modified: Int = 0
        package var modifiedNanoseconds: Int = 0
        /// The device it lives on (with the inode, which file it is).
        package var device: UInt64 = 0
        /// When its inode last changed (any write, chmod, rename or link): seconds, nanoseconds.
        package var changed: Int = 0
        package var changedNanoseconds: Int = 0

        init(_ info: stat) {
            let type = info.st_mode & S_IFMT
            isRegular = type == S_IFREG
            isDirectory = type == S_IFDIR
            size = Int(info.st_size)
            inode = UInt64(info.st_ino)
            modified = Int(info.st_mtim.tv_sec)
            modifiedNanoseconds = Int(info.st_mtim.tv_nsec)
            device = UInt64(info.st_dev)
            changed = Int(info.st_ctim.tv_sec)
            changedNanoseconds = Int(info.st_ctim.tv_nsec)
        }
    }

    /// The type and size of the open file `fd`.
    package static func status(of fd: Int32) -> Outcome<FileStatus> {
        var info = stat()
        guard fstat(fd, &info) == 0 else { return .failed(errno) }
        return .ok(FileStatus(info))
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
        // withCString: a short name stays on the stack (the implicit conversion allocates).
        guard name.withCString({ fstatat(directory, $0, &info, AT_SYMLINK_NOFOLLOW) }) == 0 else { return nil }
        return FileStatus(info)
    }

    /// The whole of a small file (at most `limit` bytes); nil when it cannot be read.
    package static func readSmallFile(_ path: String, limit: Int = 4 << 20) -> [UInt8]? {
        guard case .ok(let fd) = openForReading(path) else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while bytes.count < limit {
            guard case .ok(let count) = chunk.withUnsafeMutableBytes({ pread(fd, into: $0, at: bytes.count) }) else { return nil }
            if count == 0 { return bytes }
            bytes += chunk[0..<count]
        }
        return bytes
    }

    /// The system's words for an errno (`No such file or directory`).
    package static func describe(_ code: Int32) -> String { String(cString: strerror(code)) }
}
