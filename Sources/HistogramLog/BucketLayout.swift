/// Where HdrHistogram keeps each value: the index of its counter in the counts array, as
/// every HdrHistogram port lays it out (Java, C, Python, hdrhistogram-swift). The encoded
/// form is that array, so encoder and decoder need the layout; hdrhistogram-swift keeps its
/// own copy internal.
struct BucketLayout {
    let unitMagnitude: Int
    let subBucketHalfCountMagnitude: Int
    let subBucketHalfCount: Int

    init(lowestDiscernibleValue: UInt64, significantDigits: Int) {
        unitMagnitude = 63 - lowestDiscernibleValue.leadingZeroBitCount
        var largestWithUnitResolution: UInt64 = 2
        for _ in 0..<significantDigits { largestWithUnitResolution *= 10 }
        // ceil(log2(largest)), as the ports compute it.
        let subBucketCountMagnitude = 64 - (largestWithUnitResolution - 1).leadingZeroBitCount
        subBucketHalfCountMagnitude = max(subBucketCountMagnitude, 1) - 1
        subBucketHalfCount = 1 << subBucketHalfCountMagnitude
    }

    /// The lowest value counted at `index`.
    func value(at index: Int) -> UInt64 {
        var bucket = (index >> subBucketHalfCountMagnitude) - 1
        var subBucket = (index & (subBucketHalfCount - 1)) + subBucketHalfCount
        if bucket < 0 {
            subBucket -= subBucketHalfCount
            bucket = 0
        }
        return UInt64(subBucket) << (bucket + unitMagnitude)
    }
}
