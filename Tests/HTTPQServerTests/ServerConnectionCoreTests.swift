import HTTPQ
import Testing
@testable import HTTPQServer

/// `ServerConnectionCore` driven through its transitions with a clock that is a number:
/// no sockets, no loop, no sleeps.
@Suite struct ServerConnectionCoreTests {
    typealias Core = ServerConnectionCore
    static let timeouts = Core.Timeouts(header: 10, idle: 60, linger: 2)

    /// A plain connection at t=100 that has read a complete keep-alive request.
    static func responding() -> Core {
        var core = Core(now: 100, timeouts: timeouts, usesTLS: false)
        core.requestStarted(now: 101)
        _ = core.headReceived(now: 101, framing: BodyFraming.none, expectation: .none, maxBodyBytes: 1 << 20)
        _ = core.requestReceived(keepsAlive: true, shuttingDown: false)
        return core
    }

    @Test func acceptedIdleOnTheHeaderDeadlineOrHandshaking() {
        let plain = Core(now: 100, timeouts: Self.timeouts, usesTLS: false)
        #expect(plain.phase == .idle && plain.deadline == 110 && plain.parsesInput)
        var tls = Core(now: 100, timeouts: Self.timeouts, usesTLS: true)
        #expect(tls.phase == .handshaking && tls.deadline == 110 && !tls.parsesInput)
        tls.handshakeFinished()
        #expect(tls.phase == .idle && tls.deadline == 110, "the handshake does not restart the header deadline")
    }

    @Test func aRequestRunsOnTheHeaderThenTheIdleDeadline() {
        var core = Core(now: 100, timeouts: Self.timeouts, usesTLS: false)
        core.requestStarted(now: 105)
        #expect(core.phase == .reading && core.deadline == 115)
        #expect(core.headReceived(now: 106, framing: .length(5), expectation: .none, maxBodyBytes: 10) == .none)
        #expect(core.deadline == 166)
        core.bodyReceived(now: 150)
        #expect(core.deadline == 210)
        #expect(core.requestReceived(keepsAlive: true, shuttingDown: false) == .dispatch)
        #expect(core.phase == .responding && core.deadline == .infinity && !core.closeAfterResponse)
    }

    @Test(arguments: [
        (BodyFraming.length(11), HTTPRules.Expectation.none, Core.Action.respondWithError(status: 413, message: "request body larger than 10 bytes\n")),
        (.length(5), .continueBeforeBody, .sendContinue),
        (.chunked, .unsupported("teapot"), .respondWithError(status: 417, message: "unsupported expectation: teapot\n")),
        (.length(11), .continueBeforeBody, .respondWithError(status: 413, message: "request body larger than 10 bytes\n")),
    ])
    func headDecisions(_ framing: BodyFraming, _ expectation: HTTPRules.Expectation, _ expected: Core.Action) {
        var core = Core(now: 0, timeouts: Self.timeouts, usesTLS: false)
        core.requestStarted(now: 0)
        #expect(core.headReceived(now: 1, framing: framing, expectation: expectation, maxBodyBytes: 10) == expected)
        if case .respondWithError = expected {
            #expect(core.phase == .responding && core.closeAfterResponse, "a refused request is answered, then the connection closes")
        } else {
            #expect(core.phase == .reading)
        }
    }

    @Test(arguments: [
        (HTTPQError.Kind.headTooLarge(limit: 1), 431), (.lineTooLong(limit: 1), 431), (.tooManyFields(limit: 1), 431),
        (.bodyTooLarge(limit: 1), 413), (.unsupportedTransferCoding, 501), (.unsupportedVersion, 505), (.missingHost, 400),
        (.transferEncodingInHTTP10, 400), (.invalidChunkSize, 400),
    ])
    func refusalsCarryTheStatusThatSaysWhy(_ kind: HTTPQError.Kind, _ status: Int) {
        var core = Core(now: 0, timeouts: Self.timeouts, usesTLS: false)
        core.requestStarted(now: 0)
        guard case .respondWithError(let answered, _) = core.requestRefused(HTTPQError(kind, at: 3)) else {
            Issue.record("no error answer")
            return
        }
        #expect(answered == status && core.closeAfterResponse && core.deadline == .infinity)
    }

    /// A line too long in the request line is the target's length: 414 (URI Too Long), as
    /// nginx answers; the same in the fields stays 431.
    @Test func aRequestLineTooLongIs414() {
        var core = Core(now: 0, timeouts: Self.timeouts, usesTLS: false)
        core.requestStarted(now: 0)
        guard case .respondWithError(let answered, _) = core.requestRefused(HTTPQError(.lineTooLong(limit: 8), at: 8), inRequestLine: true) else {
            Issue.record("no error answer")
            return
        }
        #expect(answered == 414 && core.closeAfterResponse)
    }

    @Test func aKeptAliveAnswerGoesBackToIdle() {
        var core = Self.responding()
        #expect(core.drained(now: 120) == .notifyDrained, "not ended yet: the responder may write more")
        #expect(core.writeBlocked(now: 121) == .watchWritable)
        #expect(core.deadline == 181, "a write that makes no progress is on the idle deadline")
        core.responseEnded()
        #expect(core.drained(now: 130) == .startNextRequest)
        #expect(core.phase == .idle && core.deadline == 190 && !core.responseComplete)
    }

    @Test func closingAnswersLingerUnlessThePeerHalfClosed() {
        var closing = Self.responding()
        closing.mustCloseAfterResponse()
        closing.responseEnded()
        #expect(closing.drained(now: 130) == .lingerThenClose)
        #expect(closing.phase == .lingering && closing.deadline == 132)
        #expect(closing.peerClosed() == .close, "the peer's close ends the linger")
        #expect(closing.phase == .closed)

        var halfClosed = Self.responding()
        #expect(halfClosed.peerClosed() == .stopReading, "a half-closed client still gets its answer")
        halfClosed.responseEnded()
        #expect(halfClosed.drained(now: 130) == .close)
        #expect(halfClosed.responseComplete, "the answer was whole when the connection closed")
    }

    @Test func requestsThatDoNotKeepAliveOrArriveDuringShutdownClose() {
        var core = Core(now: 0, timeouts: Self.timeouts, usesTLS: false)
        core.requestStarted(now: 0)
        _ = core.requestReceived(keepsAlive: false, shuttingDown: false)
        #expect(core.closeAfterResponse)
        var during = Core(now: 0, timeouts: Self.timeouts, usesTLS: false)
        during.requestStarted(now: 0)
        _ = during.requestReceived(keepsAlive: true, shuttingDown: true)
        #expect(during.closeAfterResponse)
    }

    @Test func deadlines() {
        var silent = Core(now: 0, timeouts: Self.timeouts, usesTLS: false)
        #expect(silent.deadlinePassed(requestStarted: false) == .close, "a connection that never sent a byte closes silently")
        var slow = Core(now: 0, timeouts: Self.timeouts, usesTLS: false)
        slow.requestStarted(now: 0)
        #expect(slow.deadlinePassed(requestStarted: true) == .respondWithError(status: 408, message: "request not received in time\n"))
        var lingering = Self.responding()
        lingering.mustCloseAfterResponse()
        lingering.responseEnded()
        _ = lingering.drained(now: 0)
        #expect(lingering.deadlinePassed(requestStarted: false) == .close)
    }

    @Test func shutdownClosesIdleConnectionsAndMarksBusyOnes() {
        var idle = Core(now: 0, timeouts: Self.timeouts, usesTLS: false)
        #expect(idle.serverShuttingDown() == .close)
        var handshaking = Core(now: 0, timeouts: Self.timeouts, usesTLS: true)
        #expect(handshaking.serverShuttingDown() == .close)
        var busy = Self.responding()
        #expect(busy.serverShuttingDown() == .none && busy.closeAfterResponse)
    }

    @Test func overBudgetOnlyWhileReading() {
        var reading = Core(now: 0, timeouts: Self.timeouts, usesTLS: false)
        reading.requestStarted(now: 0)
        #expect(reading.overBudget() == .respondWithError(status: 503, message: "the server holds too many request bodies; retry later\n"))
        var answering = Self.responding()
        #expect(answering.overBudget() == .none)
    }

    @Test func closedIsFinal() {
        var core = Self.responding()
        #expect(core.close() == .close)
        #expect(core.close() == .none)
        #expect(core.peerClosed() == .none)
        #expect(core.drained(now: 1) == .none)
        #expect(core.serverShuttingDown() == .none)
    }
}
