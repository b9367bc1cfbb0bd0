/// The benchmark messages of issue 2: M1 the seed's gunicorn response, M2 a typical nginx
/// response (10 fields, 4 KiB body), M3 a chunked response of ten 1 KiB chunks.
public enum Messages {
    public static let m1: [UInt8] = Array((
        "HTTP/1.1 200 OK\r\nDate: Tue, 09 Nov 2021 18:29:18 GMT\r\nContent-Type: application/json\r\n"
        + "Content-Length: 197\r\nConnection: keep-alive\r\nServer: gunicorn/19.9.0\r\n"
        + "Access-Control-Allow-Origin: *\r\nAccess-Control-Allow-Credentials: true\r\n\r\n"
        + "{\n  \"args\": {}, \n  \"headers\": {\n    \"Host\": \"httpbin.org\", \n"
        + "    \"X-Amzn-Trace-Id\": \"Root=1-640d4193-650c50825ec4415732dacde8\"\n  }, \n"
        + "  \"origin\": \"xx.xx.xx.xxx\", \n  \"url\": \"http://httpbin.org/get\"\n}\n").utf8)

    public static let m2: [UInt8] = {
        let body = String(repeating: "<p>nginx test page</p>\n", count: 178) + String(repeating: "x", count: 4096 - 178 * 23)
        let head = "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Wed, 25 Nov 2026 04:00:00 GMT\r\n"
            + "Content-Type: text/html\r\nContent-Length: \(body.utf8.count)\r\n"
            + "Last-Modified: Tue, 24 Nov 2026 10:00:00 GMT\r\nConnection: keep-alive\r\n"
            + "ETag: \"6560a1b0-1000\"\r\nAccept-Ranges: bytes\r\nCache-Control: max-age=3600\r\n"
            + "Vary: Accept-Encoding\r\n\r\n"
        return Array((head + body).utf8)
    }()

    public static let m3: [UInt8] = {
        var text = "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nContent-Type: application/octet-stream\r\n"
            + "Transfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n"
        for index in 0..<10 {
            text += "400\r\n" + String(repeating: Character(Unicode.Scalar(UInt8(0x61 + index))), count: 1024) + "\r\n"
        }
        text += "0\r\n\r\n"
        return Array(text.utf8)
    }()

    public static let all: [(name: String, bytes: [UInt8])] = [("M1", m1), ("M2", m2), ("M3", m3)]
}
