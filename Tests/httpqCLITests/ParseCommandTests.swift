import Foundation
import Testing
import TestSupport

/// `httpq parse` as DESIGN.md specifies it, run as a real process.
@Suite struct ParseCommandTests {
    let sample = try! Array(Data(contentsOf: CLI.packageRoot.appendingPathComponent("Samples/gunicorn.http")))

    @Test func sampleParsesTheSameAtEveryChunkSize() async throws {
        try await offPool {
            let whole = try CLI.run(["parse"], input: sample)
            #expect(whole.status == 0)
            let objects = whole.objects
            #expect(objects.count == 1)
            let message = try #require(objects.first)
            #expect(message["kind"] as? String == "response")
            #expect(message["state"] as? String == "body")
            #expect(message["complete"] as? Bool == true)
            #expect(message["error"] is NSNull)
            #expect(message["status"] as? Int == 200)
            #expect(message["reason"] as? String == "OK")
            let headers = try #require(message["headers"] as? [[String]])
            #expect(headers[0] == ["Date", "Tue, 09 Nov 2021 18:29:18 GMT"])
            let body = try #require(Data(base64Encoded: message["body_base64"] as? String ?? ""))
            #expect(body.count == 197)
            for size in ["1", "7", "10", "4096"] {
                let split = try CLI.run(["parse", "--chunk-size", size], input: sample)
                #expect(split.stdout == whole.stdout, "chunk size \(size)")
            }
        }
    }

    @Test func keyOrderFollowsTheContract() async throws {
        try await offPool {
            let result = try CLI.run(["parse", "--request"], input: Array("GET /x HTTP/1.1\r\nHost: a\r\n\r\n".utf8))
            #expect(result.stdout == #"{"kind": "request", "state": "body", "complete": true, "error": null, "method": "GET", "target": "/x", "version": "HTTP/1.1", "headers": [["Host", "a"]], "trailers": [], "body_base64": ""}"# + "\n")
        }
    }

    @Test func streamOfMessagesGivesOneLineEach() async throws {
        try await offPool {
            let input = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nT: v\r\n\r\nHTTP/1.1 200 OK\r\n\r\ntail"
            let result = try CLI.run(["parse", "--chunk-size", "3"], input: Array(input.utf8))
            #expect(result.status == 0)
            let objects = result.objects
            #expect(objects.map { $0["status"] as? Int } == [100, 404, 200])
            #expect(objects[1]["reason"] as? String == "Not Found")
            #expect(objects[1]["trailers"] as? [[String]] == [["T", "v"]])
            #expect(objects[2]["complete"] as? Bool == true, "close-delimited completes at end of input")
            #expect(objects[2]["body_base64"] as? String == Data("tail".utf8).base64EncodedString())
        }
    }

    @Test func headMethodMeansNoBodies() async throws {
        try await offPool {
            let input = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"
            let result = try CLI.run(["parse", "--method", "HEAD"], input: Array(input.utf8))
            #expect(result.objects.count == 2)
            #expect(result.objects.allSatisfy { $0["complete"] as? Bool == true })
        }
    }

    @Test func unfinishedLastMessageIsDescribed() async throws {
        try await offPool {
            let result = try CLI.run(["parse"], input: Array("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc".utf8))
            #expect(result.status == 0)
            #expect(result.objects.last?["complete"] as? Bool == false)
            #expect(result.objects.last?["state"] as? String == "body")
        }
    }

    @Test func malformedInputExitsOneWithTheError() async throws {
        try await offPool {
            let result = try CLI.run(["parse", "--request", "--chunk-size", "2"],
                                     input: Array("GET / HTTP/1.1\r\nHost : a\r\n\r\nGET / HTTP/1.1\r\n\r\n".utf8))
            #expect(result.status == 1)
            #expect(result.objects.count == 1)
            #expect(result.objects[0]["error"] as? String == "whitespace between field name and colon (at byte 20)")
        }
    }

    @Test(arguments: [["parse", "--request", "--response"], ["parse", "--chunk-size", "0"], ["parse", "--bogus"],
                      ["parse", "--request", "--method", "HEAD"], ["parse", "--max-body-bytes=-1"]])
    func badUsageExitsTwo(_ arguments: [String]) async throws {
        try await offPool {
            let result = try CLI.run(arguments, input: [])
            #expect(result.status == 2)
            #expect(!result.stderr.isEmpty)
        }
    }

    @Test func emptyInputPrintsNothing() async throws {
        try await offPool {
            let result = try CLI.run(["parse"], input: [])
            #expect(result.status == 0 && result.stdout.isEmpty)
        }
    }

    /// Issue 13.9: bodies fed in small pieces cost O(N) (a copy of the message per feed made
    /// 256 KiB at --chunk-size 1 take 29.5 s). A bound, not a speed target: 1 MiB in 16-byte
    /// pieces finishes well inside it when linear, and needs many minutes when quadratic.
    @Test func largeBodyInSmallPiecesIsLinear() async throws {
        try await offPool {
            let body = TestBytes.make(count: 1 << 20, seed: 7)
            let input = Array("HTTP/1.1 200 OK\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body
            let result = try CLI.run(["parse", "--chunk-size", "16"], input: input, timeout: .seconds(60))
            #expect(result.status == 0)
            #expect(result.objects.first?["body_base64"] as? String == Data(body).base64EncodedString())
        }
    }

    /// `--max-body-bytes` moves the body limit (HTTPQ's 64 MiB by default), both ways.
    @Test func maxBodyBytesMovesTheLimit() async throws {
        try await offPool {
            let input = Array("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789".utf8)
            let refused = try CLI.run(["parse", "--max-body-bytes", "9"], input: input)
            #expect(refused.status == 1)
            #expect((refused.objects.first?["error"] as? String)?.hasPrefix("body larger than 9 bytes") == true, "\(refused.stdout)")
            let accepted = try CLI.run(["parse", "--max-body-bytes", "10"], input: input)
            #expect(accepted.status == 0 && accepted.objects.first?["complete"] as? Bool == true)
        }
    }

    /// Issue 13.9: after a 101, or a 2xx answering CONNECT, the stream is a tunnel, not HTTP.
    @Test(arguments: [
        (["parse"], "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\u{81}\u{05}hello"),
        (["parse", "--method", "CONNECT"], "HTTP/1.1 200 Connection established\r\n\r\n\u{16}\u{03}\u{01}junk"),
        (["parse", "--request"], "CONNECT a.b:443 HTTP/1.1\r\nHost: a.b:443\r\n\r\n\u{16}\u{03}\u{01}junk"),
    ])
    func tunnelIsNotParsedAsHTTP(_ arguments: [String], _ text: String) async throws {
        try await offPool {
            let result = try CLI.run(arguments, input: Array(text.utf8))
            #expect(result.status == 0, "\(result.stdout)")
            #expect(result.objects.count == 1)
            #expect(result.objects.first?["complete"] as? Bool == true)
        }
    }

    /// Input that never ends (a device, a socket, a capture still being written): after an
    /// error, or once the stream is a tunnel, parse stops reading and exits. Before, it read
    /// on to the end of input, which for `/dev/zero` or `/dev/urandom` never came: silent,
    /// its line still in its buffer, forever.
    @Test(arguments: [
        ("exec \"$0\" parse < /dev/zero", Int32(1), "line longer than"),
        ("{ printf 'HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: x\\r\\n\\r\\n'; exec cat /dev/zero; } | \"$0\" parse", 0, ""),
        ("{ printf 'GET / HTTP/1.1\\r\\nHost: a\\r\\n\\r\\nGET /x HTTP/1.1\\r\\nHost : a\\r\\n\\r\\n'; exec cat /dev/zero; } | \"$0\" parse --request", 1, "whitespace between field name and colon"),
    ])
    func endlessInputEndsAtTheErrorOrTheTunnel(_ script: String, _ status: Int32, _ error: String) async throws {
        try await offPool {
            let run = try ChildProcess.run("/bin/sh", ["-c", script, CLI.executable], timeout: .seconds(20))
            #expect(run.termination != .timedOut, "parse kept reading input that never ends")
            #expect(run.status == status, "\(run.stdoutText) \(run.stderrText)")
            let last = run.stdoutText.split(separator: "\n").last.map(String.init) ?? ""
            if error.isEmpty {
                #expect(last.contains(#""complete": true"#) && last.contains(#""status": 101"#), "\(run.stdoutText)")
            } else {
                #expect(last.contains(error), "\(run.stdoutText)")
            }
        }
    }

    /// Output that cannot be written ends the tool instead of being lost: a reader that left
    /// ends it by SIGPIPE, as any filter (status 141 in the shell); a full disk is said on
    /// standard error, exit status 1. Before, `parse` under `head` read its whole input, and
    /// writes to /dev/full were dropped with exit status 0.
    @Test func outputThatCannotBeWrittenEndsTheTool() async throws {
        try await offPool {
            let message = "HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\n\\r\\nab"
            // An endless stream of valid responses, read by a reader that leaves after one line.
            let endless = "while :; do printf '\(message)\(message)\(message)\(message)'; done | \"$0\" parse | head -n 1 > /dev/null; "
                + "echo \"${PIPESTATUS[1]}\""
            let piped = try ChildProcess.run("/bin/bash", ["-c", endless, CLI.executable], timeout: .seconds(20))
            #expect(piped.termination != .timedOut, "parse went on after its reader left")
            #expect(piped.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) == "141", "\(piped.stdoutText) \(piped.stderrText)")

            let full = try ChildProcess.run("/bin/sh", ["-c", "printf '\(message)' | \"$0\" parse > /dev/full", CLI.executable])
            #expect(full.status == 1)
            #expect(full.stderrText.contains("writing standard output failed: No space left on device"), "\(full.stderrText)")
        }
    }
}
