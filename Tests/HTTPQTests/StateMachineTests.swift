import Testing
@testable import HTTPQ

/// The seed's example: httpq's state-machine page feeds the gunicorn response 10 bytes at a
/// time and prints the state and buffer before each feed.
@Suite struct StateMachineTests {
    /// httpq's printed transcript: the state after each 10-byte feed and the head bytes so far.
    static let transcript: [(State, String)] = [
        (.top, ""),
        (.top, "HTTP/1.1 2"),
        (.headers, "HTTP/1.1 200 OK\r\nDat"),
        (.headers, "HTTP/1.1 200 OK\r\nDate: Tue, 09"),
        (.headers, "HTTP/1.1 200 OK\r\nDate: Tue, 09 Nov 2021 "),
        (.headers, "HTTP/1.1 200 OK\r\nDate: Tue, 09 Nov 2021 18:29:18 G"),
        (.headers, "HTTP/1.1 200 OK\r\nDate: Tue, 09 Nov 2021 18:29:18 GMT\r\nConten"),
    ]

    @Test func tenBytesAtATimeMatchesHttpqTranscript() throws {
        let bytes = Fixtures.gunicorn
        var response = Response()
        var seen: [(State, [UInt8])] = []
        var offset = 0
        while response.state != .body {
            seen.append((response.state, response.buffer))
            let end = min(offset + 10, bytes.count)
            try response.feed(bytes[offset..<end])
            offset = end
        }
        seen.append((response.state, response.buffer))

        // 230 head bytes in 10-byte feeds: 23 prints before .body, one at .body.
        #expect(seen.count == 24)
        for (index, expected) in Self.transcript.enumerated() {
            #expect(seen[index].0 == expected.0, "print \(index)")
            #expect(seen[index].1 == Array(expected.1.utf8), "print \(index)")
        }
        #expect(seen[22].0 == .headers)
        #expect(String(decoding: seen[22].1, as: UTF8.self).hasSuffix("Access-Control-Allow-Credentials"))
        #expect(seen[23].0 == .body)
        #expect(seen[23].1 == Array(Fixtures.gunicornHead.utf8))
        // The state entered .headers exactly when the first CRLF arrived, and .body with the empty line.
        #expect(seen.firstIndex { $0.0 == .headers } == 2)
        #expect(!response.isComplete)

        while offset < bytes.count {
            let end = min(offset + 10, bytes.count)
            try response.feed(bytes[offset..<end])
            offset = end
        }
        #expect(response.isComplete)
        #expect(response.body == Array(Fixtures.gunicornBody.utf8))
        #expect(response.headers["date"] == "Tue, 09 Nov 2021 18:29:18 GMT")
        #expect(response.headers.values(for: "Date").count == 1)
    }

    @Test func stateOnlyMovesForward() throws {
        var response = Response()
        var states: [State] = [response.state]
        for byte in Fixtures.gunicorn {
            try response.feed([byte])
            if states.last != response.state { states.append(response.state) }
        }
        #expect(states == [.top, .headers, .body])
    }

    @Test func eventsReportEachStateOnceThenBodyThenComplete() throws {
        var response = Response()
        response.keepsBody = false
        var events: [MessageEvent] = []
        var bodyBytes: [UInt8] = []
        let bytes = Fixtures.gunicorn
        try bytes.withUnsafeBytes { buffer in
            var offset = 0
            while true {
                let (used, event) = try response.consume(UnsafeRawBufferPointer(rebasing: buffer[offset...]))
                guard let event else { break }
                if case .body(let range) = event {
                    bodyBytes += buffer[(offset + range.lowerBound)..<(offset + range.upperBound)]
                } else {
                    events.append(event)
                }
                offset += used
            }
        }
        #expect(events == [.stateChanged(.headers), .stateChanged(.body), .complete])
        #expect(bodyBytes == Array(Fixtures.gunicornBody.utf8))
        #expect(response.body.isEmpty, "streaming does not keep the body")
    }

    @Test func parsedMessageCarriesEveryField() throws {
        let response = try Response.parse(Fixtures.gunicorn)
        #expect(response.version == "HTTP/1.1")
        #expect(response.status == 200)
        #expect(response.reason == "OK")
        #expect(response.headers.count == 7)
        #expect(response.headers.contentLength == 197)
        #expect(response.framing == .length(197))
        #expect(response.raw == Fixtures.gunicorn)
    }
}
