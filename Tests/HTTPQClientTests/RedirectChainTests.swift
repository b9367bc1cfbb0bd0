import HTTPQ
@testable import HTTPQClient
import Testing

/// The redirect rules as values (`RedirectChain`): no sockets, every rule of RFC 9110 §15.4
/// and of the policy checked on its own.
@Suite struct RedirectChainTests {
    static let base = try! HTTPURL("http://a.test/start")

    static func chain(_ policy: RedirectPolicy = .follow(), url: HTTPURL = base, method: String = "GET") -> RedirectChain {
        RedirectChain(policy: policy, url: url, method: method)
    }

    @Test(arguments: [
        // status, method, next method, body kept
        (301, "GET", "GET", false), (301, "POST", "GET", false), (301, "PUT", "PUT", true),
        (302, "POST", "GET", false), (302, "DELETE", "DELETE", true),
        (303, "POST", "GET", false), (303, "PUT", "GET", false), (303, "HEAD", "HEAD", false),
        (307, "POST", "POST", true), (308, "PUT", "PUT", true),
    ])
    func methodAndBodyFollowTheStatus(_ status: Int, _ method: String, _ next: String, _ keeps: Bool) throws {
        var chain = Self.chain(method: method)
        let hasBody = method != "GET" && method != "HEAD"
        let step = chain.step(status: status, location: "/next", hasBody: hasBody, bodyReplayable: true)
        #expect(step == .follow(url: try HTTPURL("http://a.test/next"), method: next, keepsBody: keeps && hasBody, crossesOrigin: false))
    }

    @Test func aBodyTurnedIntoGetLosesTheFieldsThatDescribedIt() throws {
        var chain = Self.chain(method: "POST")
        let request = Request(method: "POST", target: "/start",
                              headers: ["Host": "a.test", "Content-Type": "text/plain", "Content-Length": "3", "X-Kept": "1"],
                              body: Array("abc".utf8))
        let step = chain.step(status: 303, location: "/done", hasBody: true, bodyReplayable: true)
        let next = RedirectChain.nextRequest(request, for: step)
        #expect(next.method == "GET" && next.body.isEmpty && next.target == "/done")
        #expect(!next.headers.contains("Content-Type") && !next.headers.contains("Content-Length"))
        #expect(next.headers["X-Kept"] == "1" && next.headers["Host"] == "a.test")
    }

    @Test func credentialsAndHostStayWithTheirOrigin() throws {
        let request = Request(method: "GET", target: "/start",
                              headers: ["Host": "a.test", "Authorization": "Basic x", "Cookie": "c=1", "Proxy-Authorization": "Basic y"])
        var same = Self.chain()
        let kept = RedirectChain.nextRequest(request, for: same.step(status: 302, location: "/x", hasBody: false, bodyReplayable: true))
        #expect(kept.headers.contains("Authorization") && kept.headers.contains("Cookie") && kept.headers.contains("Host"))
        // Another host, another port, another scheme: each is another origin.
        for location in ["http://b.test/x", "http://a.test:8080/x", "https://a.test/x"] {
            var chain = Self.chain()
            let step = chain.step(status: 302, location: location, hasBody: false, bodyReplayable: true)
            let next = RedirectChain.nextRequest(request, for: step)
            for name in ["Authorization", "Cookie", "Proxy-Authorization", "Host"] {
                #expect(!next.headers.contains(name), "\(name) went to \(location)")
            }
        }
    }

    @Test func httpsToHttpIsRefusedUnlessAllowed() throws {
        let secure = try HTTPURL("https://a.test/")
        var refusing = Self.chain(url: secure)
        #expect(refusing.step(status: 301, location: "http://a.test/", hasBody: false, bodyReplayable: true)
                == .fail(.insecureRedirect(from: "https://a.test/", to: "http://a.test/")))
        var allowing = Self.chain(.follow(allowsHTTPSToHTTP: true), url: secure)
        guard case .follow = allowing.step(status: 301, location: "http://a.test/", hasBody: false, bodyReplayable: true) else {
            Issue.record("allowed, yet not followed"); return
        }
    }

    @Test func aLoopIsCaughtAtTheFirstRepeat() {
        var chain = Self.chain()
        guard case .follow = chain.step(status: 302, location: "/b", hasBody: false, bodyReplayable: true) else {
            Issue.record("first hop"); return
        }
        #expect(chain.step(status: 302, location: "/start", hasBody: false, bodyReplayable: true)
                == .fail(.redirectLoop("http://a.test/start")))
        // The same URL with another method is not a loop (POST /form -> 303 GET /form).
        var form = Self.chain(url: try! HTTPURL("http://a.test/form"), method: "POST")
        guard case .follow = form.step(status: 303, location: "/form", hasBody: true, bodyReplayable: true) else {
            Issue.record("POST then GET of one URL is no loop"); return
        }
    }

    @Test(arguments: [0, 1, 3])
    func aChainLongerThanMaxFails(_ max: Int) {
        var chain = Self.chain(.follow(max: max))
        for hop in 0..<max {
            guard case .follow = chain.step(status: 302, location: "/\(hop)", hasBody: false, bodyReplayable: true) else {
                Issue.record("hop \(hop) not followed"); return
            }
        }
        #expect(chain.step(status: 302, location: "/last", hasBody: false, bodyReplayable: true) == .fail(.tooManyRedirects(max)))
        #expect(chain.hops == max)
    }

    @Test func aStreamedBodyCannotBeSentTwice() {
        var chain = Self.chain(method: "PUT")
        #expect(chain.step(status: 307, location: "/x", hasBody: true, bodyReplayable: false) == .fail(.redirectNeedsBody(status: 307)))
        // A 303 drops the body: nothing to replay.
        var other = Self.chain(method: "PUT")
        guard case .follow(_, "GET", false, _) = other.step(status: 303, location: "/x", hasBody: true, bodyReplayable: false) else {
            Issue.record("303 must continue as GET"); return
        }
    }

    @Test func theDecidingClosureSeesTheHopAndMayStopIt() throws {
        let policy = RedirectPolicy.deciding { $0.to.host == "a.test" && $0.status != 308 }
        var chain = Self.chain(policy)
        guard case .follow = chain.step(status: 302, location: "/b", hasBody: false, bodyReplayable: true) else {
            Issue.record("approved hop"); return
        }
        #expect(chain.step(status: 302, location: "http://elsewhere.test/", hasBody: false, bodyReplayable: true) == .deliver)
        #expect(chain.step(status: 308, location: "/c", hasBody: false, bodyReplayable: true) == .deliver)
    }

    @Test(arguments: ["file:///etc/passwd", "gopher://a.test/", "http://bad host/", "http://[::1/"])
    func anUnusableLocationFails(_ location: String) {
        var chain = Self.chain()
        guard case .fail(.badRedirect(let seen, _)) = chain.step(status: 302, location: location, hasBody: false, bodyReplayable: true) else {
            Issue.record("\(location) was not refused"); return
        }
        #expect(seen == location)
    }

    @Test func offAndNonRedirectsAreAnswers() {
        var off = Self.chain(.off)
        #expect(off.step(status: 302, location: "/x", hasBody: false, bodyReplayable: true) == .deliver)
        var chain = Self.chain()
        #expect(chain.step(status: 200, location: "/x", hasBody: false, bodyReplayable: true) == .deliver)
        #expect(chain.step(status: 304, location: "/x", hasBody: false, bodyReplayable: true) == .deliver)
        #expect(chain.step(status: 302, location: nil, hasBody: false, bodyReplayable: true) == .deliver)
    }
}
