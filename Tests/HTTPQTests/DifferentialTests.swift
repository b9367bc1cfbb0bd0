import Foundation
import HTTPQ
import Testing
import TestSupport

/// HTTPQ beside an independent parser, h11 (Debian's python3-h11), on a few thousand
/// generated requests, valid and broken: both must accept the same ones, with the same
/// method, target, version, fields and body. One difference of policy is known and pinned
/// (control characters in field values).
@Suite struct DifferentialTests {
    static let python = "/usr/bin/python3"
    static var script: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Scripts/h11_parse.py").path
    }

    @Test func httpqAndH11AgreeOnGeneratedRequests() async throws {
        try await offPool { try agree() }
    }

    func agree() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.python),
              (try? run(Self.python, ["-c", "import h11"], input: Data()))?.status == 0 else {
            Issue.record("python3-h11 is missing (scripts/setup.sh installs it)")
            return
        }
        var generator = RequestGenerator(seed: 20261125)
        let requests = (0..<3_000).map { _ in generator.next() }
        let payload = try JSONSerialization.data(withJSONObject: requests.map { Data($0.bytes).base64EncodedString() })
        let output = try run(Self.python, [Self.script], input: payload)
        #expect(output.status == 0, "\(output.stderr)")
        let verdicts = output.stdout.split(separator: "\n").map {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] ?? [:]
        }
        try #require(verdicts.count == requests.count)

        var agreed = 0, valid = 0
        var disagreements: [String] = []
        for (request, h11) in zip(requests, verdicts) {
            let ours = Self.parse(request.bytes)
            let theirsOK = h11["ok"] as? Bool ?? false
            if request.kind == "control in value" {
                // The one known policy difference: RFC 9110 §5.5 allows no control character
                // but HTAB in a field value; HTTPQ refuses them, h11 lets them through.
                #expect(!ours.ok && theirsOK, "the known difference changed: \(ours.error)")
                agreed += 1
                continue
            }
            if ours.ok != theirsOK {
                disagreements.append("\(request.kind): HTTPQ \(ours.ok ? "accepts" : "refuses (\(ours.error))"), h11 \(theirsOK ? "accepts" : "refuses (\(h11["error"] ?? ""))")")
                continue
            }
            #expect(ours.ok == request.expectedValid, "\(request.kind): \(String(decoding: request.bytes, as: UTF8.self))")
            if ours.ok {
                valid += 1
                let headers = (h11["headers"] as? [[String]] ?? []).map { [$0[0].lowercased(), $0[1]] }
                let same = ours.method == h11["method"] as? String && ours.target == h11["target"] as? String
                    && ours.version == h11["version"] as? String
                    && ours.headers.map { [$0[0].lowercased(), $0[1]] } == headers
                    && Data(ours.body).base64EncodedString() == h11["body"] as? String
                if !same { disagreements.append("\(request.kind): fields differ"); continue }
            }
            agreed += 1
        }
        #expect(disagreements.count == 0, "\(disagreements.count) disagreements, first: \(disagreements.prefix(5))")
        #expect(agreed == requests.count)
        #expect(valid > 1_000 && valid < requests.count - 500, "the generator makes both kinds: \(valid) valid")
    }

    struct Parsed {
        var ok = false
        var error = ""
        var method = "", target = "", version = ""
        var headers: [[String]] = []
        var body: [UInt8] = []
    }

    static func parse(_ bytes: [UInt8]) -> Parsed {
        var request = Request()
        request.keepsBody = true
        do {
            let used = try request.feed(bytes)
            guard used == bytes.count, request.isComplete else { return Parsed(error: "incomplete") }
            return Parsed(ok: true, method: request.method, target: request.target, version: request.version,
                          headers: request.headers.fields.map { [$0.name, $0.value] }, body: request.body)
        } catch {
            return Parsed(error: "\(error.kind)")
        }
    }
}

/// A seeded generator of requests: valid ones of many shapes, and ones broken in one place.
struct RequestGenerator {
    struct Generated {
        var kind: String
        var bytes: [UInt8]
        var expectedValid: Bool
    }

    private var state: UInt64

    init(seed: UInt64) { state = seed }

    private mutating func random(_ bound: Int) -> Int {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Int((state >> 33) % UInt64(bound))
    }

    private mutating func pick<T>(_ items: [T]) -> T { items[random(items.count)] }

    private mutating func token(_ length: Int) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-!#$%&'*+.^_`|~")
        return String((0..<max(1, length)).map { _ in pick(alphabet) })
    }

    private mutating func value(_ length: Int) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789 ,;=/:()<>@[]{}?\"'-_.~")
        var text = String((0..<length).map { _ in pick(alphabet) })
        text = String(text.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
        return text
    }

    mutating func next() -> Generated {
        let method = pick(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "PROPFIND"])
        let target = "/" + (0..<random(4)).map { _ in token(1 + random(8)) }.joined(separator: "/")
            + (random(3) == 0 ? "?q=" + token(1 + random(6)) : "")
        let version = random(5) == 0 ? "HTTP/1.0" : "HTTP/1.1"
        var fields: [(String, String)] = [("Host", "example.test")]
        var seen: Set<String> = ["host", "content-length", "transfer-encoding", "connection", "expect", "upgrade"]
        for _ in 0..<random(7) {
            let name = token(1 + random(12))
            guard seen.insert(name.lowercased()).inserted else { continue }
            fields.append((name, value(random(30))))
        }
        let payload = Array(token(random(3) == 0 ? 0 : 1 + random(200)).utf8)
        var body: [UInt8] = []
        switch random(3) {
        case 0 where !payload.isEmpty:
            fields.append(("Content-Length", String(payload.count)))
            body = payload
        case 1 where version == "HTTP/1.1":
            fields.append(("Transfer-Encoding", "chunked"))
            var rest = payload[...]
            while !rest.isEmpty {
                let size = min(rest.count, 1 + random(64))
                body += Array((String(size, radix: 16) + (random(4) == 0 ? ";ext=1" : "") + "\r\n").utf8)
                body += rest.prefix(size) + [13, 10]
                rest = rest.dropFirst(size)
            }
            body += Array("0\r\n\r\n".utf8)
        default:
            break
        }
        var head = "\(method) \(target) \(version)\r\n" + fields.map { "\($0.0): \($0.1)\r\n" }.joined() + "\r\n"
        var kind = "valid"
        var valid = true
        if random(3) == 0 {
            valid = false
            switch random(9) {
            case 0: kind = "space before colon"; head = head.replacingOccurrences(of: "Host:", with: "Host :")
            case 1: kind = "bad name"; head = head.replacingOccurrences(of: "Host:", with: "Ho(st:")
            case 2: kind = "NUL in value"; head = head.replacingOccurrences(of: "example.test", with: "exa\u{0}mple")
            case 3: kind = "no colon"; head = head.replacingOccurrences(of: "Host: ", with: "Host ")
            case 4: kind = "bad length"; head = head.replacingOccurrences(of: "\r\n\r\n", with: "\r\nContent-Length: 1x\r\n\r\n")
            case 5: kind = "two lengths"; head = head.replacingOccurrences(of: "\r\n\r\n", with: "\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n")
            case 6: kind = "space in target"; head = head.replacingOccurrences(of: " \(version)", with: "x y \(version)")
            case 7: kind = "bad version"; head = head.replacingOccurrences(of: version, with: "HTTP/1.x")
            default: kind = "control in value"; head = head.replacingOccurrences(of: "example.test", with: "exam\u{7}ple")
            }
        }
        return Generated(kind: kind, bytes: Array(head.utf8) + body, expectedValid: valid)
    }
}

/// Runs a program to completion with `input` on stdin (bounded: 60 s).
private func run(_ path: String, _ arguments: [String], input: Data) throws -> (status: Int32, stdout: String, stderr: String) {
    let output = try ChildProcess.run(path, arguments, input: Array(input), timeout: .seconds(60))
    return (output.status, output.stdoutText, output.stderrText)
}
