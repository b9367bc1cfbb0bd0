#if arch(x86_64)
internal import _Builtin_intrinsics.intel
#endif
@_spi(ByteScanning) import HTTPQ

/// Finding the first byte of a logged field that must be escaped, sixteen bytes a step.
///
/// A `User-Agent` and a `Referer` are a hundred bytes or more and almost never need escaping,
/// so the scan is most of what escaping costs. On x86-64 it uses SSE2 (every x86-64 has it):
/// four compares and a mask per sixteen bytes, where the eight-byte arithmetic of `ByteLanes`
/// took ~40 instructions per sixteen (Swift's own `SIMD16` comparisons are not vectorised).
/// Elsewhere, eight bytes a step with `ByteLanes`.
enum EscapeScan {
    /// The index of the first byte at or after `start` that is `"`, `\` or a control byte,
    /// and with `escapingHighBytes` also DEL or 0x80 and up (nginx's log escaping; JSON's
    /// without); `bytes.count` when there is none. Exact: every byte before it is plain.
    @inline(__always)
    static func firstSuspect(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, escapingHighBytes: Bool) -> Int {
        guard let base = bytes.baseAddress else { return bytes.count }
        let count = bytes.count
        var index = start
        #if arch(x86_64)
        while index &+ 16 <= count {
            let mask = suspects(UnsafeRawPointer(base + index), escapingHighBytes: escapingHighBytes)
            if mask != 0 { return index &+ mask.trailingZeroBitCount }
            index &+= 16
        }
        // The last bytes, fewer than sixteen: the field's last sixteen as one vector, the
        // lanes already looked at masked off.
        if index < count && count >= 16 {
            let shift = 16 &- (count &- index)
            let mask = suspects(UnsafeRawPointer(base + (count &- 16)), escapingHighBytes: escapingHighBytes) >> shift
            return mask == 0 ? count : index &+ mask.trailingZeroBitCount
        }
        #endif
        while index &+ 8 <= count {
            let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
            let found = suspects(word, escapingHighBytes: escapingHighBytes)
            if found != 0 { return index &+ (found.trailingZeroBitCount >> 3) }
            index &+= 8
        }
        while index < count {
            let byte = base[index]
            if byte == 0x22 || byte == 0x5C || byte < 0x20 || (escapingHighBytes && byte > 0x7E) { return index }
            index &+= 1
        }
        return count
    }

    #if arch(x86_64)
    /// A bit per lane of the sixteen bytes at `pointer` that may need escaping.
    @inline(__always)
    private static func suspects(_ pointer: UnsafeRawPointer, escapingHighBytes: Bool) -> Int {
        let vector = _mm_loadu_si128(pointer.assumingMemoryBound(to: __m128i.self))
        let special = _mm_or_si128(_mm_cmpeq_epi8(vector, _mm_set1_epi8(0x22)), _mm_cmpeq_epi8(vector, _mm_set1_epi8(0x5C)))
        let flagged: __m128i
        if escapingHighBytes {
            // As signed bytes, 0x80 and up are negative: "below 0x20" takes them with the controls.
            let outside = _mm_or_si128(_mm_cmpgt_epi8(_mm_set1_epi8(0x20), vector), _mm_cmpeq_epi8(vector, _mm_set1_epi8(0x7F)))
            flagged = _mm_or_si128(special, outside)
        } else {
            // Unsigned "at most 0x1F": nothing is left after subtracting 0x1F with saturation.
            let controls = _mm_cmpeq_epi8(_mm_subs_epu8(vector, _mm_set1_epi8(0x1F)), _mm_setzero_si128())
            flagged = _mm_or_si128(special, controls)
        }
        return Int(_mm_movemask_epi8(flagged))
    }
    #endif

    /// The high bit set in each lane of `word` that may need escaping; the lowest set lane is exact.
    @inline(__always)
    private static func suspects(_ word: UInt64, escapingHighBytes: Bool) -> UInt64 {
        let found = ByteLanes.below(word, 0x20) | ByteLanes.equal(word, 0x22) | ByteLanes.equal(word, 0x5C)
        guard escapingHighBytes else { return found }
        return found | ByteLanes.high(word) | ByteLanes.equal(word, 0x7F)
    }
}
