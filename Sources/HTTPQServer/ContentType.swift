import Sockets

/// `Content-Type` by file extension: the system's table (`/etc/mime.types`, Debian's
/// media-types), read once, then a built-in table for what it lacks; `charset=utf-8` on text.
public enum ContentType {
    /// The type for `path`'s extension (case-insensitive); `application/octet-stream` when unknown.
    public static func forPath(_ path: String) -> String {
        // Over bytes, from the end: per request, so no grapheme walking and no lowercasing
        // allocation for the common all-lowercase extension.
        let bytes = path.utf8
        guard let dot = bytes.lastIndex(where: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "/") }),
              bytes[dot] == UInt8(ascii: ".") else { return "application/octet-stream" }
        let tail = bytes[bytes.index(after: dot)...]
        let name = tail.contains(where: { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) })
            ? String(decoding: tail.map { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) ? $0 + 32 : $0 }, as: UTF8.self)
            : String(Substring(tail))
        return system[name] ?? byExtension[name] ?? "application/octet-stream"
    }

    /// `/etc/mime.types`, read on first use: `type ext ext ...` lines, `#` comments.
    static let system: [String: String] = table(from: SystemCalls.readSmallFile("/etc/mime.types") ?? [])

    /// The table in a mime.types text; text types get `; charset=utf-8` (the files a site
    /// serves are UTF-8; ASCII is a subset). The first line naming an extension wins.
    static func table(from bytes: [UInt8]) -> [String: String] {
        var table: [String: String] = [:]
        for line in String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline) {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let type = words.first, !type.hasPrefix("#"), type.contains("/") else { continue }
            let value = type.hasPrefix("text/") || type == "application/javascript" ? "\(type); charset=utf-8" : String(type)
            for word in words.dropFirst() where table[word.lowercased()] == nil { table[word.lowercased()] = value }
        }
        return table
    }

    static let byExtension: [String: String] = [
        "html": "text/html; charset=utf-8", "htm": "text/html; charset=utf-8",
        "css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8",
        "mjs": "text/javascript; charset=utf-8", "json": "application/json",
        "txt": "text/plain; charset=utf-8", "md": "text/markdown; charset=utf-8",
        "csv": "text/csv; charset=utf-8", "xml": "application/xml", "svg": "image/svg+xml",
        "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif",
        "webp": "image/webp", "avif": "image/avif", "ico": "image/x-icon", "pdf": "application/pdf",
        "wasm": "application/wasm", "zip": "application/zip", "gz": "application/gzip",
        "tar": "application/x-tar", "mp4": "video/mp4", "webm": "video/webm", "mp3": "audio/mpeg",
        "ogg": "audio/ogg", "woff": "font/woff", "woff2": "font/woff2", "bin": "application/octet-stream",
    ]
}
