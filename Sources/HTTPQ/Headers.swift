/// Header (or trailer) fields: ordered, names kept as sent, looked up case-insensitively.
///
/// Repeated fields stay separate (two `Set-Cookie` lines are two fields) and values are
/// never split on commas, so `Date: Tue, 09 Nov 2021 18:29:18 GMT` stays one value.
public struct Headers: Hashable, Sendable {
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

    /// The fields in order.
    public private(set) var fields: [Field]

    /// Creates an empty set of fields.
    public init() { fields = [] }

    /// Creates fields from name-value pairs, in order.
    public init(_ pairs: [(String, String)]) {
        fields = pairs.map { Field(name: $0.0, value: $0.1) }
    }

    /// The first value of `name` (case-insensitive). Setting replaces every field of that
    /// name with one at the position of the first (or appends it); setting nil removes them.
    public subscript(name: String) -> String? {
        get { fields.first { Self.same($0.name, name) }?.value }
        set {
            guard let newValue else { remove(name); return }
            if let first = fields.firstIndex(where: { Self.same($0.name, name) }) {
                fields[first].value = newValue
                var index = fields.index(after: first)
                while index < fields.endIndex {
                    if Self.same(fields[index].name, name) { fields.remove(at: index) } else { index += 1 }
                }
            } else {
                fields.append(Field(name: name, value: newValue))
            }
        }
    }

    /// Every value of `name` (case-insensitive), in order, one per field line.
    public func values(for name: String) -> [String] {
        fields.compactMap { Self.same($0.name, name) ? $0.value : nil }
    }

    /// Whether a field named `name` (case-insensitive) is present.
    public func contains(_ name: String) -> Bool {
        fields.contains { Self.same($0.name, name) }
    }

    /// Appends a field, keeping any existing ones of the same name.
    public mutating func add(_ name: String, _ value: String) {
        fields.append(Field(name: name, value: value))
    }

    /// Removes every field named `name` (case-insensitive).
    public mutating func remove(_ name: String) {
        fields.removeAll { Self.same($0.name, name) }
    }

    /// ASCII case-insensitive equality of two field names.
    static func same(_ a: String, _ b: String) -> Bool {
        var left = a.utf8.makeIterator()
        var right = b.utf8.makeIterator()
        while true {
            switch (left.next(), right.next()) {
            case (nil, nil): return true
            case let (x?, y?) where x == y || (Self.isLetter(x) && x | 0x20 == y | 0x20): continue
            default: return false
            }
        }
    }

    private static func isLetter(_ byte: UInt8) -> Bool { (byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7A }
}

extension Headers: ExpressibleByDictionaryLiteral {
    /// `["Host": "example.com", "Accept": "*/*"]`, in the order written.
    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(elements)
    }
}

extension Headers: RandomAccessCollection {
    public var startIndex: Int { fields.startIndex }
    public var endIndex: Int { fields.endIndex }
    public subscript(position: Int) -> Field { fields[position] }
}

extension Headers: CustomStringConvertible {
    /// The fields as they would be sent, one `Name: value` per line.
    public var description: String {
        fields.map { "\($0.name): \($0.value)" }.joined(separator: "\n")
    }
}
