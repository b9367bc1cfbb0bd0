/// Header (or trailer) fields: ordered, names kept as sent, looked up case-insensitively.
///
/// Repeated fields stay separate (two `Set-Cookie` lines are two fields) and values are
/// never split on commas, so `Date: Tue, 09 Nov 2021 18:29:18 GMT` stays one value.
///
/// Storage is the bytes as received plus the ranges of each name and value, so parsing
/// creates no strings; a `String` is made only when a name or value is asked for.
public struct Headers: Sendable {
    /// One field line: the name as sent and the value with surrounding whitespace trimmed.
    public struct Field: Hashable, Sendable {
        /// The name as received or given (case preserved).
        public var name: String
        /// The value, without leading or trailing whitespace.
        public var value: String

        /// Creates a field.
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// Where one field's name and value lie in `bytes`.
    struct Entry: Hashable, Sendable {
        var name: Range<Int>
        var value: Range<Int>
    }

    /// The bytes the entries point into: a parsed message's head, or appended names and values.
    private(set) var bytes: [UInt8]
    private(set) var entries: [Entry]

    /// Creates an empty set of fields.
    public init() {
        bytes = []
        entries = []
    }

    /// Fields that point into `bytes` (a parsed head); no copy is made.
    init(bytes: [UInt8], entries: [Entry]) {
        self.bytes = bytes
        self.entries = entries
    }

    /// Creates fields from name-value pairs, in order.
    public init(_ pairs: [(String, String)]) {
        self.init()
        for (name, value) in pairs { add(name, value) }
    }

    /// The fields in order, as strings.
    public var fields: [Field] { entries.map(field) }

    /// The first value of `name` (case-insensitive). Setting replaces every field of that
    /// name with one at the position of the first (or appends it); setting nil removes them.
    public subscript(name: String) -> String? {
        get { withMatcher(name) { entries.first(where: $0) }.map { text($0.value) } }
        set {
            guard let newValue else { remove(name); return }
            guard let first = entries.firstIndex(where: { matches($0, name) }) else {
                add(name, newValue)
                return
            }
            entries[first].value = append(newValue)
            var index = first + 1
            while index < entries.count {
                if matches(entries[index], name) { entries.remove(at: index) } else { index += 1 }
            }
        }
    }

    /// Every value of `name` (case-insensitive), in order, one per field line.
    public func values(for name: String) -> [String] {
        withMatcher(name) { matches in entries.compactMap { matches($0) ? text($0.value) : nil } }
    }

    /// Whether a field named `name` (case-insensitive) is present.
    public func contains(_ name: String) -> Bool {
        withMatcher(name) { entries.contains(where: $0) }
    }

    /// The first `name` field's value as bytes: the fields' storage (shared, not copied) and the
    /// value's range in it. For an access log that formats the value later, on another thread,
    /// without making a String per request.
    package func rawValue(_ name: String) -> (storage: [UInt8], range: Range<Int>)? {
        guard let entry = withMatcher(name, { entries.first(where: $0) }) else { return nil }
        return (bytes, entry.value)
    }

    /// The values of the first `first` and the first `second` field (case-insensitive; names
    /// of letters and `-` only, as every registered field name is) as
    /// bytes, found in one pass over the fields and lent to `body` (nil for a name not
    /// there). For an access log formatting a request's `Referer` and `User-Agent` on the
    /// loop: no String, and one walk instead of one per name.
    package func withRawValues<R>(
        _ first: StaticString, _ second: StaticString,
        _ body: (UnsafeBufferPointer<UInt8>?, UnsafeBufferPointer<UInt8>?) -> R
    ) -> R {
        Self.withRawValues(first, second, "", bytes: bytes, entries: entries) { first, second, _ in body(first, second) }
    }

    /// `withRawValues` for three names.
    package func withRawValues<R>(
        _ first: StaticString, _ second: StaticString, _ third: StaticString,
        _ body: (UnsafeBufferPointer<UInt8>?, UnsafeBufferPointer<UInt8>?, UnsafeBufferPointer<UInt8>?) -> R
    ) -> R {
        Self.withRawValues(first, second, third, bytes: bytes, entries: entries, body)
    }

    /// `withRawValues` over a parsed head's bytes and field index, borrowed where they lie
    /// (a `Request` asked for it: no `Headers` made, no storage retained). An empty name
    /// matches nothing.
    static func withRawValues<R>(
        _ first: StaticString, _ second: StaticString, _ third: StaticString, bytes: borrowing [UInt8], entries: borrowing [Entry],
        _ body: (UnsafeBufferPointer<UInt8>?, UnsafeBufferPointer<UInt8>?, UnsafeBufferPointer<UInt8>?) -> R
    ) -> R {
        bytes.withUnsafeBufferPointer { storage in
            // The names' bytes read in place (no `withUTF8Buffer` closures: a lookup is per request).
            let firstName = UnsafeBufferPointer(start: first.utf8Start, count: first.utf8CodeUnitCount)
            let secondName = UnsafeBufferPointer(start: second.utf8Start, count: second.utf8CodeUnitCount)
            let thirdName = UnsafeBufferPointer(start: third.utf8Start, count: third.utf8CodeUnitCount)
            var firstValue: Range<Int>?, secondValue: Range<Int>?, thirdValue: Range<Int>?
            for index in 0..<entries.count {
                let entry = entries[index]
                let length = entry.name.count
                if length == firstName.count, firstValue == nil, Self.matchesFolded(entry, firstName, in: storage) {
                    firstValue = entry.value
                } else if length == secondName.count, secondValue == nil, Self.matchesFolded(entry, secondName, in: storage) {
                    secondValue = entry.value
                } else if length == thirdName.count, thirdValue == nil, Self.matchesFolded(entry, thirdName, in: storage) {
                    thirdValue = entry.value
                } else {
                    continue
                }
                if firstValue != nil && secondValue != nil && (thirdValue != nil || thirdName.isEmpty) { break }
            }
            return body(firstValue.map { UnsafeBufferPointer(rebasing: storage[$0]) },
                        secondValue.map { UnsafeBufferPointer(rebasing: storage[$0]) },
                        thirdValue.map { UnsafeBufferPointer(rebasing: storage[$0]) })
        }
    }

    /// Appends a field, keeping any existing ones of the same name.
    public mutating func add(_ name: String, _ value: String) {
        // Stored as the line it will be written as (`Name: value\r\n`): fields added one
        // after another are then one run of bytes a server copies into a head at once.
        // Room for a few such lines on the first (a client's `Host`, a handler's first field
        // grew the storage twice and the entries once: three allocations per message).
        if bytes.capacity == 0 { bytes.reserveCapacity(Swift.max(128, name.utf8.count + value.utf8.count + 4)) }
        if entries.capacity == 0 { entries.reserveCapacity(4) }
        let nameRange = append(name)
        bytes.append(UInt8(ascii: ":"))
        bytes.append(UInt8(ascii: " "))
        let valueRange = append(value)
        bytes.append(13)
        bytes.append(10)
        entries.append(Entry(name: nameRange, value: valueRange))
    }

    /// Removes every field named `name` (case-insensitive).
    public mutating func remove(_ name: String) {
        let bytes = self.bytes
        entries.removeAll { Self.matches($0, name, in: bytes) }
    }

    // MARK: - Bytes

    /// About the bytes the fields take as lines (`Name: value` and CRLF each): their storage,
    /// which holds them as such lines (`add`), or the parsed head they are part of. What to
    /// reserve before writing them: a guess of 32 a field grew a client's request once, and
    /// a generous one crossed glibc's 1 KiB line past which `malloc` first consolidates
    /// every freed small chunk (+1,000 instructions a proxied request).
    package var storedByteCount: Int { bytes.count }

    /// Calls `body` with each field's raw name and value bytes (for serialising), leaving out
    /// the fields named in `excluded` (case-insensitively). No String is made.
    package func forEachRaw(excluding excluded: [String] = [], _ body: (ArraySlice<UInt8>, ArraySlice<UInt8>) -> Void) {
        for entry in entries where !excluded.contains(where: { Self.matches(entry, $0, in: bytes) }) {
            body(bytes[entry.name], bytes[entry.value])
        }
    }

    private mutating func append(_ string: String) -> Range<Int> {
        let start = bytes.count
        var string = string // contiguous UTF-8 (a copy only for a bridged string): one memcpy
        string.withUTF8 { bytes.append(contentsOf: $0) }
        return start..<bytes.count
    }

    private func text(_ range: Range<Int>) -> String {
        String(decoding: bytes[range], as: UTF8.self)
    }

    private func field(_ entry: Entry) -> Field {
        Field(name: text(entry.name), value: text(entry.value))
    }

    /// Whether the entry's name equals `name`, ASCII case-insensitively, without making a String.
    private func matches(_ entry: Entry, _ name: String) -> Bool {
        Self.matches(entry, name, in: bytes)
    }

    /// Calls `body` with a test for "this entry is named `name`" (ASCII case-insensitive)
    /// that reads the name's UTF-8 bytes once: iterating `name.utf8` again for every entry
    /// was most of a keep-alive check (700 instructions for a response's eight fields).
    func withMatcher<R>(_ name: String, _ body: ((Entry) -> Bool) -> R) -> R {
        var name = name
        return name.withUTF8 { wanted in
            bytes.withUnsafeBufferPointer { storage in
                body { entry in Self.matches(entry, wanted, in: storage) }
            }
        }
    }

    /// Whether the entry's name is `name`'s bytes, ASCII case-insensitively.
    @inline(__always)
    static func matches(_ entry: Entry, _ name: UnsafeBufferPointer<UInt8>, in bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard entry.name.count == name.count else { return false }
        var index = entry.name.lowerBound
        for byte in name {
            if !sameIgnoringCase(bytes[index], byte) { return false }
            index += 1
        }
        return true
    }

    /// `matches` for a wanted name of letters and `-` only, of the entry's length, eight
    /// bytes at a time: with 0x20 set in every byte, a name byte equals a letter of the
    /// wanted name exactly when it is that letter in either case, and equals `-` only when it
    /// is `-` (the other byte it could be, CR, is never in a name).
    @inline(__always)
    static func matchesFolded(_ entry: Entry, _ name: UnsafeBufferPointer<UInt8>, in bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let count = name.count
        guard count >= 8, let wanted = name.baseAddress, let base = bytes.baseAddress else { return matches(entry, name, in: bytes) }
        let fold: UInt64 = 0x2020_2020_2020_2020
        let start = UnsafeRawPointer(base + entry.name.lowerBound), other = UnsafeRawPointer(wanted)
        var offset = 0
        while offset + 8 < count {
            if start.loadUnaligned(fromByteOffset: offset, as: UInt64.self) | fold
                != other.loadUnaligned(fromByteOffset: offset, as: UInt64.self) | fold { return false }
            offset += 8
        }
        // The last eight bytes, overlapping what was compared.
        return start.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self) | fold
            == other.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self) | fold
    }

    /// The same for a name as a String (the rarer lookups: setting and removing fields).
    static func matches(_ entry: Entry, _ name: String, in bytes: [UInt8]) -> Bool {
        guard entry.name.count == name.utf8.count else { return false }
        var name = name
        return name.withUTF8 { name in bytes.withUnsafeBufferPointer { matches(entry, name, in: $0) } }
    }

    /// Whether the comma-separated list in `value` holds `token` (ASCII case-insensitive,
    /// items trimmed of spaces and tabs): `Connection: keep-alive, Close`.
    static func list(_ value: Range<Int>, in bytes: UnsafeBufferPointer<UInt8>, contains token: UnsafeBufferPointer<UInt8>) -> Bool {
        var start = value.lowerBound
        let end = value.upperBound
        while start <= end {
            var stop = start
            while stop < end && bytes[stop] != UInt8(ascii: ",") { stop += 1 }
            var low = start, high = stop
            while low < high && (bytes[low] == 0x20 || bytes[low] == 0x09) { low += 1 }
            while high > low && (bytes[high - 1] == 0x20 || bytes[high - 1] == 0x09) { high -= 1 }
            if high - low == token.count {
                var same = true
                for offset in 0..<token.count where !sameIgnoringCase(bytes[low + offset], token[offset]) {
                    same = false
                    break
                }
                if same { return true }
            }
            start = stop + 1
        }
        return false
    }

    @inline(__always)
    static func sameIgnoringCase(_ a: UInt8, _ b: UInt8) -> Bool {
        if a == b { return true }
        let folded = a | 0x20
        return folded == b | 0x20 && folded >= 0x61 && folded <= 0x7A
    }
}

extension Headers: Hashable {
    /// Equal when the fields (names as sent, values) are equal in order.
    public static func == (lhs: Headers, rhs: Headers) -> Bool {
        guard lhs.entries.count == rhs.entries.count else { return false }
        for (left, right) in zip(lhs.entries, rhs.entries) {
            guard lhs.bytes[left.name].elementsEqual(rhs.bytes[right.name]),
                  lhs.bytes[left.value].elementsEqual(rhs.bytes[right.value]) else { return false }
        }
        return true
    }

    public func hash(into hasher: inout Hasher) {
        for entry in entries {
            hasher.combine(entry.name.count)
            for byte in bytes[entry.name] { hasher.combine(byte) }
            for byte in bytes[entry.value] { hasher.combine(byte) }
        }
    }
}

extension Headers: ExpressibleByDictionaryLiteral {
    /// `["Host": "example.com", "Accept": "*/*"]`, in the order written.
    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(elements)
    }
}

extension Headers: RandomAccessCollection {
    public var startIndex: Int { entries.startIndex }
    public var endIndex: Int { entries.endIndex }
    public subscript(position: Int) -> Field { field(entries[position]) }
}

extension Headers: CustomStringConvertible {
    /// The fields as they would be sent, one `Name: value` per line.
    public var description: String {
        map { "\($0.name): \($0.value)" }.joined(separator: "\n")
    }
}
