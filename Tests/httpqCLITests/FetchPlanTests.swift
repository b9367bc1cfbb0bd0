import Testing
import Foundation
@testable import httpq

/// How `httpq fetch` reads a URL list and orders it, without fetching.
@Suite struct FetchPlanTests {
    /// ASCII lists are cut on bytes; the order and the hosts are what the Character-based
    /// reading gave (LF, CR LF, lone CR, VT, FF end lines), and a list with other bytes
    /// (U+2028 ends a line there too) is read the same way.
    @Test(arguments: [
        "http://a/1\r\nhttp://b/1\rhttp://a/2\u{0B}  http://c/1\t\u{0C}# http://x/\n\n\thttp://b/2",
        "http://a/1\u{2028}http://b/1\rhttp://a/2\n# café\nhttp://c/1\u{85}http://b/2\n",
    ])
    func listsAreCutIntoLinesAsCharactersWould(_ text: String) {
        let lines = FetchCommand.lines(of: Array(text.utf8))
        #expect(lines == ["http://a/1", "http://b/1", "http://a/2", "http://c/1", "http://b/2"])
        let expected = text.split(whereSeparator: \.isNewline)
            .map { String($0).trimmingCharacters(in: [" ", "\t"]) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        #expect(lines == expected)
    }

    @Test func aByteOrderMarkIsNotPartOfTheFirstURL() {
        #expect(FetchCommand.lines(of: [0xEF, 0xBB, 0xBF] + Array("http://a/1\r\nhttp://b/1\r\n".utf8)) == ["http://a/1", "http://b/1"])
        #expect(FetchCommand.lines(of: [0xEF, 0xBB, 0xBF] + Array("http://a/é\n".utf8)) == ["http://a/é"])
    }

    @Test func hostsTakeTurnsEachInItsOwnOrder() {
        let urls = ["http://a/1", "http://a/2", "http://a/3", "http://b/1", "http://c/1", "http://c/2", "not a url"]
        let planned = FetchEngine.interleavedByHost(urls)
        #expect(planned.map(\.text) == ["http://a/1", "http://b/1", "http://c/1", "not a url", "http://a/2", "http://c/2", "http://a/3"])
        #expect(planned.map(\.host) == ["a", "b", "c", "", "a", "c", "a"])
    }

    /// One host with many URLs beside many hosts with one each: the plan is linear in the
    /// URLs (walking every host in every round took 100,000 x 10,001 steps here: 27 s in a
    /// debug build, against 0.2 s now; the bound is a hang guard, not a speed target).
    @Test func oneLongListBesideManyShortOnesIsPlannedInLinearTime() {
        let urls = (0..<100_000).map { "http://long/\($0)" } + (0..<10_000).map { "http://h\($0):8080/" }
        let started = ContinuousClock.now
        let planned = FetchEngine.interleavedByHost(urls)
        #expect(planned.count == urls.count)
        #expect(planned.prefix(3).map(\.text) == ["http://long/0", "http://h0:8080/", "http://h1:8080/"])
        #expect(planned.suffix(2).map(\.text) == ["http://long/99998", "http://long/99999"])
        #expect(ContinuousClock.now - started < .seconds(10), "quadratic: \(ContinuousClock.now - started)")
    }

    /// `fetch -T FILE URL/`: the file's name, percent-encoded as Foundation's `.urlPathAllowed`
    /// did it, completes the URL.
    @Test(arguments: ["report.txt", "a b;c?d#e[f]é.txt", "x:y@z=1&2+3~", "100%", "dir/name"])
    func uploadNamesAreEncodedAsFoundationEncodedThem(_ name: String) {
        #expect(FetchCommand.percentEncodedPathSegment(name) == name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed))
    }

    /// A host's latencies stay exact up to `LatencySamples.exactLimit` (4,096): ten hosts of
    /// 500 fetches each got histograms at a limit of 256, whose percentiles at 1 s are
    /// rounded to about a millisecond — and cost a million instructions each to read.
    @Test func latenciesOfAFewThousandFetchesAreExact() throws {
        var samples = LatencySamples()
        let values = (1...500).map { UInt64(1_000_000 + $0 * 7) }
        for value in values.shuffled() { samples.record(value) }
        #expect(samples.count == 500)
        #expect(try #require(samples.values(at: [50, 90, 99])) == [values[249], values[449], values[494]])
        var many = LatencySamples()
        for value in 0..<UInt64(LatencySamples.exactLimit + 1) { many.record(1_000_000 + value * 7) }
        #expect(many.count == LatencySamples.exactLimit + 1) // a histogram past the limit, still counted
    }
}
