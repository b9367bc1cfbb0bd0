import Locks
import Sockets
#if canImport(Glibc)
import Glibc
#endif

/// The bytes of small files answered before, by path, shared by every loop: a hit costs one
/// `fstatat` where reading the file costs `openat`, `fstat`, `pread` and `close` (about
/// 1 µs of kernel time against 3-4 µs).
///
/// A hit must name the same file in the same state: the `fstatat` (not following a final
/// symbolic link) must find the same device, inode, size, modification and change times
/// the bytes were read with. Any write, `chmod`, rename or replacement moves the change time,
/// so the next request reads the file again. Files changed in the last two seconds are not
/// kept: a file's times tick coarsely, and a second same-size write within one tick would
/// otherwise look unchanged (git's "racy" files). An entry is made only for a file the
/// server opened beneath its root, and only when the name, stat'ed without following a
/// link, is that same file (a link's target is read each time, as before).
/// Bounded: at most `capacity` bytes; when full it starts over.
final class SmallFileCache: Sendable {
    /// One file's bytes, its answer fields, and the state they were read in. The fields come
    /// along so that a hit takes one lock, not this cache's and the validator cache's.
    final class Entry: Sendable {
        let bytes: [UInt8]
        let fields: ValidatorCache.Fields
        fileprivate let version: Version
        fileprivate init(bytes: [UInt8], fields: ValidatorCache.Fields, version: Version) {
            self.bytes = bytes
            self.fields = fields
            self.version = version
        }
    }

    fileprivate struct Version: Equatable {
        let device: UInt64, inode: UInt64, size: Int
        let modified: Int, modifiedNanoseconds: Int, changed: Int, changedNanoseconds: Int
        init(_ info: SystemCalls.FileStatus) {
            (device, inode, size) = (info.device, info.inode, info.size)
            (modified, modifiedNanoseconds) = (info.modified, info.modifiedNanoseconds)
            (changed, changedNanoseconds) = (info.changed, info.changedNanoseconds)
        }
    }

    private struct Table {
        var byPath: [String: Entry] = [:]
        var bytes = 0
    }

    private let table = Locked(Table())
    /// Largest total of bytes kept.
    let capacity: Int
    /// Largest file kept.
    let largestFile: Int
    /// Seconds a file must have been left unchanged before its bytes are kept.
    let settledAfter: Int

    init(capacity: Int = 8 << 20, largestFile: Int = 16 * 1024, settledAfter: Int = 2) {
        self.capacity = capacity
        self.largestFile = largestFile
        self.settledAfter = settledAfter
    }

    /// The kept bytes of `path` under `root`, with the file's status, when the file is still
    /// exactly what they were read from; nil otherwise (and a stale entry is dropped).
    func lookup(_ path: String, under root: Int32) -> (entry: Entry, info: SystemCalls.FileStatus)? {
        guard let entry = table.withLock({ $0.byPath[path] }) else { return nil }
        if let info = SystemCalls.status(in: root, path), info.isRegular, Version(info) == entry.version {
            return (entry, info)
        }
        table.withLock { table in
            if let current = table.byPath[path], current === entry {
                table.byPath[path] = nil
                table.bytes -= entry.bytes.count
            }
        }
        return nil
    }

    /// Keeps `bytes`, the whole of the file `path` as opened beneath `root` with status `info`,
    /// if it is small, settled, and the name (a final link not followed) is that file.
    func store(_ bytes: [UInt8], fields: ValidatorCache.Fields, path: String, info: SystemCalls.FileStatus, under root: Int32) {
        guard bytes.count == info.size, bytes.count <= largestFile, bytes.count <= capacity else { return }
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        guard max(info.modified, info.changed) + settledAfter <= Int(now.tv_sec) else { return }
        guard let named = SystemCalls.status(in: root, path), Version(named) == Version(info) else { return }
        let entry = Entry(bytes: bytes, fields: fields, version: Version(info))
        table.withLock { table in
            if let old = table.byPath[path] { table.bytes -= old.bytes.count }
            if table.bytes + bytes.count > capacity { // a crude bound: start over
                table.byPath.removeAll(keepingCapacity: true)
                table.bytes = 0
            }
            table.byPath[path] = entry
            table.bytes += bytes.count
        }
    }

    /// Bytes kept now (for tests).
    var keptBytes: Int { table.withLock { $0.bytes } }
}
