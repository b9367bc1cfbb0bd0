import Codings
import Histogram

/// HdrHistogram's V2 encoding, the form its interval logs carry (base64 of the compressed
/// variant): a 40-byte big-endian header, then the counts array as ZigZag LEB128 words where a
/// negative word is a run of empty counters; compressed, that behind an 8-byte header and zlib.
/// Read by HdrHistogram's Java, C and Python ports; hdrhistogram-swift neither writes nor reads
/// it, so it lives here.
public enum HistogramEncoding {
    static let cookie: UInt32 = 0x1c84_9303 | 0x10
    static let compressedCookie: UInt32 = 0x1c84_9304 | 0x10
    /// The cookie's word-size bits vary by writer; the base names the format.
    static func base(_ cookie: UInt32) -> UInt32 { cookie & ~0xf0 }

    /// The histogram in V2 form, uncompressed.
    public static func encode(_ histogram: Histogram<UInt64>) -> [UInt8] {
        var payload: [UInt8] = []
        let layout = BucketLayout(lowestDiscernibleValue: histogram.lowestDiscernibleValue,
                                  significantDigits: Int(histogram.numberOfSignificantValueDigits.rawValue))
        let top = histogram.totalCount == 0 ? 0 : histogram.maxRecorded
        var index = 0
        var zeros: Int64 = 0
        while true {
            let value = layout.value(at: index)
            guard value <= top else { break }
            let count = histogram.countForValue(value)
            if count == 0 {
                zeros += 1
            } else {
                if zeros > 0 { putZigZag(zeros == 1 ? 0 : -zeros, into: &payload); zeros = 0 }
                putZigZag(Int64(truncatingIfNeeded: count), into: &payload)
            }
            index += 1
        }
        if zeros > 0 { putZigZag(zeros == 1 ? 0 : -zeros, into: &payload) }

        var bytes: [UInt8] = []
        bytes.reserveCapacity(40 + payload.count)
        putBigEndian(cookie, into: &bytes)
        putBigEndian(UInt32(payload.count), into: &bytes)
        putBigEndian(UInt32(0), into: &bytes) // normalizing index offset
        putBigEndian(UInt32(histogram.numberOfSignificantValueDigits.rawValue), into: &bytes)
        putBigEndian(histogram.lowestDiscernibleValue, into: &bytes)
        putBigEndian(histogram.highestTrackableValue, into: &bytes)
        putBigEndian((1.0 as Double).bitPattern, into: &bytes) // integer-to-double ratio
        return bytes + payload
    }

    /// The histogram in V2 compressed form (zlib), as interval logs carry it.
    public static func encodeCompressed(_ histogram: Histogram<UInt64>) -> [UInt8] {
        let deflated = ContentEncoder.encode(encode(histogram), as: .deflate)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + deflated.count)
        putBigEndian(compressedCookie, into: &bytes)
        putBigEndian(UInt32(deflated.count), into: &bytes)
        return bytes + deflated
    }

    /// A histogram from its V2 form, compressed or not, with the range and precision its
    /// header gives.
    public static func decode(_ bytes: [UInt8]) throws(HistogramLogError) -> Histogram<UInt64> {
        var reader = ByteReader(bytes)
        let cookie = try reader.uint32("cookie")
        switch base(cookie) {
        case base(compressedCookie):
            let length = Int(try reader.uint32("compressed length"))
            guard length <= reader.remaining else { throw .truncated("\(length) compressed bytes announced, \(reader.remaining) present") }
            return try decode(inflate(Array(bytes[reader.offset..<reader.offset + length])))
        case base(Self.cookie):
            return try decodePlain(&reader)
        default:
            throw .unknownEncoding(cookie: cookie)
        }
    }

    private static func decodePlain(_ reader: inout ByteReader) throws(HistogramLogError) -> Histogram<UInt64> {
        let payloadLength = Int(try reader.uint32("payload length"))
        let indexOffset = try reader.uint32("normalizing index offset")
        let digits = try reader.uint32("significant digits")
        let lowest = try reader.uint64("lowest discernible value")
        let highest = try reader.uint64("highest trackable value")
        _ = try reader.uint64("integer to double ratio")
        guard indexOffset == 0 else { throw .badHeader("a normalizing index offset (\(indexOffset)) is not supported") }
        guard let precision = SignificantDigits(rawValue: Int8(truncatingIfNeeded: digits)), digits <= 5 else {
            throw .badHeader("\(digits) significant digits (0 to 5)")
        }
        guard lowest >= 1, lowest <= UInt64.max / 4, highest >= 2 * lowest else {
            throw .badHeader("lowest \(lowest) and highest \(highest) (need 1 <= lowest and 2 * lowest <= highest)")
        }
        guard payloadLength <= reader.remaining else {
            throw .truncated("\(payloadLength) payload bytes announced, \(reader.remaining) present")
        }
        let layout = BucketLayout(lowestDiscernibleValue: lowest, significantDigits: Int(digits))
        guard layout.unitMagnitude + layout.subBucketHalfCountMagnitude <= 61 else {
            throw .badHeader("lowest \(lowest) leaves no room for \(digits) digits")
        }
        var histogram = Histogram<UInt64>(lowestDiscernibleValue: lowest, highestTrackableValue: highest,
                                          numberOfSignificantValueDigits: precision)
        histogram.autoResize = true
        let end = reader.offset + payloadLength
        var index = 0
        while reader.offset < end {
            let word = try reader.zigZag()
            if word < 0 {
                guard word > -(1 << 40) else { throw .badPayload("a run of \(-word) empty counters") }
                index += Int(-word)
                continue
            }
            if word > 0 {
                let value = layout.value(at: index)
                guard value <= UInt64.max / 4, index < 1 << 24 else { throw .badPayload("counter \(index) is past any histogram's range") }
                guard histogram.record(value, count: UInt64(word)) else {
                    throw .badPayload("counter \(index) (value \(value)) is past the highest trackable value \(highest)")
                }
            }
            index += 1
        }
        return histogram
    }

    private static func inflate(_ bytes: [UInt8]) throws(HistogramLogError) -> [UInt8] {
        var output: [UInt8] = []
        // A histogram's counts array is at most a few MiB even at 5 digits over 64 bits.
        let decoder = ContentDecoder(undoing: [.deflate], limits: DecodingLimits(maxBytes: 64 << 20, maxRatio: 100_000))
        // (A typed-throws closure here crashes Swift 6.3's IR generation; the error is rethrown typed.)
        var failure: String?
        bytes.withUnsafeBytes { buffer in
            do { try decoder.decode(buffer) { output.append(contentsOf: $0) } } catch { failure = "\(error)" }
        }
        if failure == nil {
            do { try decoder.finish() } catch { failure = "\(error)" }
        }
        if let failure { throw .badCompression(failure) }
        return output
    }

    private static func putZigZag(_ value: Int64, into bytes: inout [UInt8]) {
        var rest = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        for _ in 0..<8 {
            if rest >> 7 == 0 { bytes.append(UInt8(rest)); return }
            bytes.append(UInt8(rest & 0x7f) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(truncatingIfNeeded: rest)) // the ninth byte holds eight bits
    }

    private static func putBigEndian<T: FixedWidthInteger>(_ value: T, into bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }
}

/// Big-endian fields and LEB128 words off a byte array, each read naming what it was for.
struct ByteReader {
    let bytes: [UInt8]
    var offset = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }
    var remaining: Int { bytes.count - offset }

    mutating func uint32(_ what: String) throws(HistogramLogError) -> UInt32 {
        UInt32(truncatingIfNeeded: try bigEndian(4, what))
    }

    mutating func uint64(_ what: String) throws(HistogramLogError) -> UInt64 { try bigEndian(8, what) }

    private mutating func bigEndian(_ width: Int, _ what: String) throws(HistogramLogError) -> UInt64 {
        guard remaining >= width else { throw .truncated("no room for the \(what)") }
        var value: UInt64 = 0
        for byte in bytes[offset..<offset + width] { value = value << 8 | UInt64(byte) }
        offset += width
        return value
    }

    /// One ZigZag LEB128 word (at most nine bytes, the ninth holding eight bits).
    mutating func zigZag() throws(HistogramLogError) -> Int64 {
        var raw: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < bytes.count else { throw .truncated("a count word runs past the end") }
            let byte = bytes[offset]
            offset += 1
            if shift == 56 { raw |= UInt64(byte) << 56; break }
            raw |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 { break }
            shift += 7
        }
        return Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
    }
}
