/// Bytes appended by the access log's writer, in storage it owns: an append is a bounds
/// check and a copy (an `Array` append also checks uniqueness and goes through generic
/// paths, about a thousand instructions a line at fifteen appends each).
struct LineBuffer: ~Copyable {
    private var start: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private(set) var count = 0

    init(capacity: Int = 64 << 10) {
        self.capacity = max(capacity, 64)
        start = .allocate(capacity: self.capacity)
    }

    deinit { start.deallocate() }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        if count == capacity { grow(to: count + 1) }
        start[count] = byte
        count += 1
    }

    @inline(__always)
    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        if count + bytes.count > capacity { grow(to: count + bytes.count) }
        (start + count).initialize(from: base, count: bytes.count)
        count += bytes.count
    }

    /// `append(_:)` for pieces mostly sixteen bytes or shorter (literals, a method, a
    /// version): copied without a `memcpy` call.
    @inline(__always)
    mutating func appendShort(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        if count + bytes.count > capacity { grow(to: count + bytes.count) }
        Self.copy(UnsafeRawPointer(base), to: UnsafeMutableRawPointer(start + count), count: bytes.count)
        count += bytes.count
    }

    /// Copies `count` bytes; up to sixteen with two overlapping loads and stores (a JSON line
    /// is mostly short pieces, literals and numbers, where a `memcpy` call costs more than
    /// the copy: ~20 instructions each, a dozen a line).
    @inline(__always)
    private static func copy(_ source: UnsafeRawPointer, to target: UnsafeMutableRawPointer, count: Int) {
        switch count {
        case 8...16:
            let head = source.loadUnaligned(as: UInt64.self)
            let tail = source.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
            target.storeBytes(of: head, as: UInt64.self)
            target.storeBytes(of: tail, toByteOffset: count - 8, as: UInt64.self)
        case 4..<8:
            let head = source.loadUnaligned(as: UInt32.self)
            let tail = source.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self)
            target.storeBytes(of: head, as: UInt32.self)
            target.storeBytes(of: tail, toByteOffset: count - 4, as: UInt32.self)
        case 0..<4:
            for index in 0..<count { target.storeBytes(of: source.load(fromByteOffset: index, as: UInt8.self), toByteOffset: index, as: UInt8.self) }
        default:
            target.copyMemory(from: source, byteCount: count)
        }
    }

    /// An array's bytes.
    @inline(__always)
    mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { append($0) }
    }

    /// A literal's bytes.
    @inline(__always)
    mutating func appendLiteral(_ literal: StaticString) {
        literal.withUTF8Buffer { appendShort($0) }
    }

    /// A string's UTF-8 bytes.
    mutating func appendText(_ text: String) {
        var text = text
        text.withUTF8 { append($0) }
    }

    /// Empties the buffer; storage past `keeping` bytes is given back (after a burst).
    mutating func removeAll(keeping limit: Int) {
        count = 0
        if capacity > limit {
            start.deallocate()
            capacity = limit
            start = .allocate(capacity: limit)
        }
    }

    func withBytes<T>(_ body: (UnsafeBufferPointer<UInt8>) -> T) -> T {
        body(UnsafeBufferPointer(start: start, count: count))
    }

    private mutating func grow(to needed: Int) {
        var larger = capacity * 2
        while larger < needed { larger *= 2 }
        let fresh = UnsafeMutablePointer<UInt8>.allocate(capacity: larger)
        fresh.initialize(from: start, count: count)
        start.deallocate()
        start = fresh
        capacity = larger
    }
}
