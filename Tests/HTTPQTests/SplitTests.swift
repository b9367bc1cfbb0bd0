import Testing
import TestSupport
@testable import HTTPQ

/// Feeding in any pieces gives the same messages as feeding everything at once.
@Suite struct SplitTests {
    @Test(arguments: Fixtures.all)
    func everySingleSplitPointAgrees(_ testCase: Fixtures.Case) {
        let whole = outcomes(of: testCase, cuts: [])
        #expect(!whole.isEmpty)
        for cut in 1..<testCase.bytes.count {
            #expect(outcomes(of: testCase, cuts: [cut]) == whole, "split at \(cut)")
        }
    }

    @Test(arguments: Fixtures.all)
    func oneByteAtATimeAgrees(_ testCase: Fixtures.Case) {
        let whole = outcomes(of: testCase, cuts: [])
        #expect(outcomes(of: testCase, cuts: Array(1..<testCase.bytes.count)) == whole)
    }

    /// Pieces of every size up to 80 bytes: the rest of a piece that continues a head is
    /// parsed in `head` below `MessageParser.shortRest` bytes and in place above it, so each
    /// size crosses that line at different points of each message.
    @Test(arguments: Fixtures.all)
    func everyPieceSizeAgrees(_ testCase: Fixtures.Case) {
        let whole = outcomes(of: testCase, cuts: [])
        for size in 2...80 {
            let cuts = Array(stride(from: size, to: testCase.bytes.count, by: size))
            #expect(outcomes(of: testCase, cuts: cuts) == whole, "pieces of \(size) bytes")
        }
    }

    @Test(arguments: Fixtures.all)
    func randomSplitsAgree(_ testCase: Fixtures.Case) {
        let whole = outcomes(of: testCase, cuts: [])
        var generator = SplitMix64(seed: 0x4854_5450_51)
        for _ in 0..<200 {
            let cutCount = Int.random(in: 1...max(1, testCase.bytes.count / 4), using: &generator)
            let cuts = Set((0..<cutCount).map { _ in Int.random(in: 1..<testCase.bytes.count, using: &generator) }).sorted()
            #expect(outcomes(of: testCase, cuts: cuts) == whole, "cuts \(cuts)")
        }
    }
}
