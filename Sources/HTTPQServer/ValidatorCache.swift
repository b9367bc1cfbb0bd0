import HTTPQ
import Locks
import Sockets

/// The header fields a file's answers carry (`Content-Type`, `Last-Modified`, `ETag`,
/// `Accept-Ranges`), made once per version of each file and shared by every loop: formatting
/// them per response cost a small-file answer about a tenth of the server's CPU. A version is
/// the inode with its size and modification time; any change makes a new entry. Bounded.
final class ValidatorCache: Sendable {
    /// A class: the cache hands the same fields to every answer, one retain each.
    final class Fields: Sendable {
        /// The `ETag` value (quoted).
        let etag: String
        /// The path the fields were made for (a file's type depends on its name, and a file
        /// may have several through hard links).
        let path: String
        /// All four fields, for a 200 or 206.
        let headers: Headers

        init(etag: String, path: String, headers: Headers) {
            self.etag = etag
            self.path = path
            self.headers = headers
        }
    }

    private struct Key: Hashable {
        let inode: UInt64
        let size: Int
        let modified: Int
        let modifiedNanoseconds: Int
    }

    /// The table, and the entry found last: a site's hot file is asked for again and again,
    /// and comparing four integers is cheaper than hashing them.
    private struct Table {
        var byKey: [Key: Fields] = [:]
        var last: (key: Key, fields: Fields)?
    }

    private let entries = Locked(Table())
    private let capacity: Int

    init(capacity: Int = 4096) { self.capacity = capacity }

    /// The fields for this version of the file, served as `path` (its name gives the
    /// `Content-Type`, looked up only when the fields are made).
    func fields(for info: SystemCalls.FileStatus, path: String) -> Fields {
        let key = Key(inode: info.inode, size: info.size, modified: info.modified, modifiedNanoseconds: info.modifiedNanoseconds)
        let found = entries.withLock { table -> Fields? in
            if let last = table.last, last.key == key { return last.fields }
            guard let found = table.byKey[key] else { return nil }
            table.last = (key, found)
            return found
        }
        if let found, found.path == path { return found }
        let etag = FileServer.entityTag(info)
        var headers = Headers()
        headers.add("Content-Type", ContentType.forPath(path))
        headers.add("Last-Modified", IMFDate.format(info.modified))
        headers.add("ETag", etag)
        headers.add("Accept-Ranges", "bytes")
        let made = Fields(etag: etag, path: path, headers: headers)
        entries.withLock { table in
            if table.byKey.count >= capacity { table.byKey.removeAll(keepingCapacity: true) } // a crude bound: start over
            table.byKey[key] = made
            table.last = (key, made)
        }
        return made
    }
}
