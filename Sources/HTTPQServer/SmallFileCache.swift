import Locks
import Synchronization
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
/// With `validFor` above zero, a file checked less than that long ago is answered without
/// the `fstatat` (nginx's `open_file_cache_valid`): a change is then seen up to that late,
/// and until then the bytes and fields read before are answered, whole and consistent.
/// Bounded: at most `capacity` bytes; when full it starts over.
final class SmallFileCache: Sendable {
    /// One file's bytes, its answer fields, and the state they were read in. The fields come
    /// along so that a hit takes one lock, not this cache's and the validator cache's.
    final class Entry: Sendable {
        let bytes: [UInt8]
        let fields: ValidatorCache.Fields
        fileprivate let version: Version
        /// The status the bytes were read with (answered when the check is skipped).
        fileprivate let info: SystemCalls.FileStatus
        /// When the file was last found unchanged: loop time (seconds), as a bit pattern.
        fileprivate let checkedAt: Atomic<UInt64>
        fileprivate init(bytes: [UInt8], fields: ValidatorCache.Fields, info: SystemCalls.FileStatus, checkedAt: Double) {
            self.bytes = bytes
            self.fields = fields
            self.version = Version(info)
            self.info = info
            self.checkedAt = Atomic(checkedAt.bitPattern)
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
    /// Seconds a file found unchanged is answered without checking it again (0: every time).
    let validFor: Double

    init(capacity: Int = 8 << 20, largestFile: Int = 16 * 1024, settledAfter: Int = 2, validFor: Double = 0) {
        self.capacity = capacity
        self.largestFile = largestFile
        self.settledAfter = settledAfter
        self.validFor = validFor
    }

    /// The kept bytes of `path` under `root`, with the file's status, when the file is still
    /// exactly what they were read from (or was, less than `validFor` before `now`, a loop
    /// time in seconds); nil otherwise (and a stale entry is dropped).
    func lookup(_ path: String, under root: Int32, now: Double) -> (entry: Entry, info: SystemCalls.FileStatus)? {
        guard let entry = table.withLock({ $0.byPath[path] }) else { return nil }
        if validFor > 0, now - Double(bitPattern: entry.checkedAt.load(ordering: .relaxed)) < validFor {
            return (entry, entry.info)
        }
        if let info = SystemCalls.status(in: root, path), info.isRegular, Version(info) == entry.version {
            if validFor > 0 { entry.checkedAt.store(now.bitPattern, ordering: .relaxed) }
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
    func store(_ bytes: [UInt8], fields: ValidatorCache.Fields, path: String, info: SystemCalls.FileStatus, under root: Int32,
               now: Double) {
        guard bytes.count == info.size, bytes.count <= largestFile, bytes.count <= capacity else { return }
        var wall = timespec()
        clock_gettime(CLOCK_REALTIME, &wall)
        guard max(info.modified, info.changed) + settledAfter <= Int(wall.tv_sec) else { return }
        guard let named = SystemCalls.status(in: root, path), Version(named) == Version(info) else { return }
        let entry = Entry(bytes: bytes, fields: fields, info: info, checkedAt: now)
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

    /// Drops what is kept of `path` (the server itself replaced the file: with a validity
    /// window, the old version would otherwise be answered after the new one was in place).
    func forget(_ path: String) {
        table.withLock { table in
            if let old = table.byPath.removeValue(forKey: path) { table.bytes -= old.bytes.count }
        }
    }

    /// Bytes kept now (for tests).
    var keptBytes: Int { table.withLock { $0.bytes } }
}
