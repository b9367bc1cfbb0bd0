import Codings
import Foundation
import Testing
import TestSupport

/// Decoding gzip, deflate and br slice by slice: any feed size gives the same bytes; cut,
/// corrupt, padded and explosive streams end in the typed error that names them.
@Suite struct ContentDecoderTests {
    /// Text-like bytes that compress well but not absurdly (about 4x).
    static let sample: [UInt8] = {
        var generator = SystemRandomNumberGenerator()
        let words = ["event", "loop", "socket", "header", "body", "chunk", "gzip", "brotli", "\n"]
        var text = ""
        while text.utf8.count < 300_000 { text += words[Int(generator.next() % UInt64(words.count))] + " " }
        return Array(text.utf8)
    }()

    /// Decodes `coded` fed `step` bytes at a time.
    static func decode(_ coded: [UInt8], _ header: String, step: Int, limits: DecodingLimits = DecodingLimits()) throws -> [UInt8] {
        guard let decoder = try ContentDecoder(contentEncoding: header, limits: limits) else { return coded }
        var out: [UInt8] = []
        var offset = 0
        while offset < coded.count {
            let end = min(coded.count, offset + step)
            try coded[offset..<end].withUnsafeBytes { try decoder.decode($0) { out += $0 } }
            offset = end
        }
        try decoder.finish()
        return out
    }

    @Test(arguments: [ContentCoding.gzip, .deflate, .br], [1, 7, 1000, 65_536, Int.max])
    func everyFeedSizeGivesTheSameBytes(_ coding: ContentCoding, _ step: Int) throws {
        let coded = ContentEncoder.encode(Self.sample, as: coding)
        #expect(coded.count < Self.sample.count / 2)
        #expect(try Self.decode(coded, coding.rawValue, step: step) == Self.sample)
    }

    /// Made by Debian's gzip, not by the zlib the decoder uses: an independent encoder.
    @Test func aFileFromTheGzipToolDecodes() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("codings-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("sample.txt")
        try Data(Self.sample).write(to: file)
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gzip.arguments = ["-9", "-n", file.path]
        try gzip.run()
        gzip.waitUntilExit()
        let coded = [UInt8](try Data(contentsOf: directory.appendingPathComponent("sample.txt.gz")))
        #expect(try Self.decode(coded, "x-gzip", step: 4096) == Self.sample)
    }

    @Test func rawDeflateAndConcatenatedGzipMembersDecode() throws {
        let raw = ContentEncoder.encode(Self.sample, as: .deflate, rawDeflate: true)
        #expect(try Self.decode(raw, "deflate", step: 1) == Self.sample)
        let a = Array("first member, ".utf8), b = Array("second member".utf8)
        let members = ContentEncoder.encode(a, as: .gzip) + ContentEncoder.encode(b, as: .gzip)
        #expect(try Self.decode(members, "gzip", step: 5) == a + b)
    }

    @Test func stackedCodingsAreUndoneInReverse() throws {
        let coded = ContentEncoder.encode(ContentEncoder.encode(Self.sample, as: .gzip), as: .br)
        #expect(try Self.decode(coded, "gzip, br", step: 999) == Self.sample)
        #expect(try Self.decode(Array("plain".utf8), "identity", step: 1) == Array("plain".utf8))
    }

    @Test(arguments: [ContentCoding.gzip, .deflate, .br])
    func aCutStreamIsTruncated(_ coding: ContentCoding) {
        let coded = ContentEncoder.encode(Self.sample, as: coding)
        #expect(throws: DecodingError.truncated(coding)) { try Self.decode(Array(coded.dropLast(10)), coding.rawValue, step: 512) }
    }

    @Test(arguments: [ContentCoding.gzip, .deflate, .br])
    func bytesAfterTheEndAreRefused(_ coding: ContentCoding) {
        let coded = ContentEncoder.encode(Array("short".utf8), as: coding) + Array("junk".utf8)
        #expect(throws: DecodingError.trailingData(coding)) { try Self.decode(coded, coding.rawValue, step: 3) }
    }

    @Test(arguments: [ContentCoding.gzip, .deflate, .br])
    func aCorruptStreamSaysWhy(_ coding: ContentCoding) throws {
        var coded = ContentEncoder.encode(Self.sample, as: coding)
        for index in stride(from: 20, to: 400, by: 7) { coded[index] ^= 0x5A }
        do {
            _ = try Self.decode(coded, coding.rawValue, step: 4096)
            Issue.record("corrupt \(coding) decoded")
        } catch let error as DecodingError {
            guard case .corrupt(coding, let detail) = error, !detail.isEmpty else {
                Issue.record("\(error)"); return
            }
        }
    }

    /// 1 GiB of zeros is about 1 MiB of gzip (1,000x): the ratio stops it after the grace,
    /// having produced a few MiB, not a gigabyte.
    @Test(arguments: [ContentCoding.gzip, .br])
    func aDecompressionBombStopsEarly(_ coding: ContentCoding) throws {
        let bomb = ContentEncoder.encode([UInt8](repeating: 0, count: 32 << 20), as: coding, level: 6)
        let decoder = try #require(try ContentDecoder(contentEncoding: coding.rawValue))
        var produced = 0
        #expect(throws: DecodingError.ratioExceeded(limit: 100)) {
            try bomb.withUnsafeBytes { try decoder.decode($0) { produced += $0.count } }
        }
        #expect(produced < 8 << 20, "\(produced) bytes decoded before the stop")
        let capped = DecodingLimits(maxBytes: 100_000, maxRatio: 1_000_000)
        #expect(throws: DecodingError.tooLarge(limit: 100_000)) { try Self.decode(bomb, coding.rawValue, step: 1 << 20, limits: capped) }
    }

    @Test func unknownCodingsAreNamed() {
        #expect(throws: DecodingError.unsupported("zstd")) { try ContentDecoder(contentEncoding: "gzip, zstd") }
        #expect(throws: DecodingError.unsupported("compress")) { try ContentDecoder(contentEncoding: "compress") }
        #expect((try? ContentDecoder(contentEncoding: " identity ")) == nil)
    }

    @Test func anEmptyBodyIsEmpty() throws {
        #expect(try Self.decode([], "gzip", step: 1) == [])
    }
}

/// Hostile input, many times over: random bytes and randomly damaged streams in random
/// slice sizes. Each ends — decoded or with a typed error — never with a crash or a hang,
/// and never past the output limit.
@Suite struct ContentDecoderHostileInputTests {
    @Test(arguments: [ContentCoding.gzip, .deflate, .br])
    func randomAndDamagedStreamsEndTyped(_ coding: ContentCoding) throws {
        var random = SplitMix64(seed: 0xC0FFEE &+ UInt64(coding.rawValue.utf8.count))
        let valid = ContentEncoder.encode(Array(ContentDecoderTests.sample.prefix(40_000)), as: coding)
        let limits = DecodingLimits(maxBytes: 4 << 20, maxRatio: 1_000, ratioGrace: 1 << 20)
        var outcomes: [String: Int] = [:]
        for round in 0..<150 {
            var input: [UInt8]
            if round % 3 == 0 {
                input = (0..<Int.random(in: 0...4096, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            } else {
                input = valid
                for _ in 0..<Int.random(in: 1...8, using: &random) {
                    input[Int.random(in: 0..<input.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
                }
                if round % 3 == 2 { input = Array(input.prefix(Int.random(in: 0...input.count, using: &random))) }
            }
            let decoder = ContentDecoder(undoing: [coding], limits: limits)
            var produced = 0
            var offset = 0
            do {
                while offset < input.count {
                    let end = min(input.count, offset + Int.random(in: 1...9000, using: &random))
                    try input[offset..<end].withUnsafeBytes { try decoder.decode($0) { produced += $0.count } }
                    offset = end
                }
                try decoder.finish()
                outcomes["decoded", default: 0] += 1
            } catch let error as DecodingError {
                outcomes["\(error)".prefix(24).description, default: 0] += 1
            }
            #expect(produced <= limits.maxBytes)
        }
        #expect(outcomes.values.reduce(0, +) == 150, "\(outcomes)")
    }
}
