import HTTPQ
import Testing
@testable import HTTPQServer

/// The streaming transitions of `ServerConnectionCore`: head dispatched before the body,
/// reading on demand, `100 Continue` when the handler asks, errors before and after the
/// answer started. A number for a clock; no sockets.
@Suite struct ServerConnectionCoreStreamingTests {
    typealias Core = ServerConnectionCore
    static let timeouts = Core.Timeouts(header: 10, idle: 60, linger: 2)

    /// A connection whose streamed request's head was just handed to the handler.
    static func streaming(expectation: HTTPRules.Expectation = .none, keepsAlive: Bool = true) -> Core {
        var core = Core(now: 100, timeouts: timeouts, usesTLS: false)
        core.requestStarted(now: 100)
        let action = core.streamingHeadReceived(now: 101, framing: .chunked, expectation: expectation,
                                                maxBodyBytes: 1000, keepsAlive: keepsAlive, shuttingDown: false)
        #expect(action == .dispatchHead)
        return core
    }

    @Test func theHeadGoesToTheHandlerAndNoDeadlineRunsUntilItAsks() {
        var core = Self.streaming()
        #expect(core.phase == .streaming && core.deadline == .infinity && core.parsesInput)
        #expect(core.bodyWanted(now: 110) == .readBody(sendContinue: false))
        #expect(core.deadline == 170, "reading the body runs on the idle deadline")
        core.bodyReceived(now: 120)
        #expect(core.deadline == 180)
        #expect(core.bodyHeld() == .stopReading, "a slice not asked for pauses reading")
        #expect(core.deadline == .infinity, "the handler holding a slice is not the client's delay")
        #expect(core.requestReceived(keepsAlive: true, shuttingDown: false) == .none, "dispatched already, at the head")
        #expect(core.phase == .responding && !core.closeAfterResponse)
        core.responseHeadQueued()
        core.responseEnded()
        #expect(core.drained(now: 130) == .startNextRequest)
        #expect(!core.responseStarted, "the next request starts with no answer begun")
    }

    @Test func requestsWithoutABodyAreDispatchedWhole() {
        for framing in [BodyFraming.none, .length(0)] {
            var core = Core(now: 0, timeouts: Self.timeouts, usesTLS: false)
            core.requestStarted(now: 0)
            #expect(core.streamingHeadReceived(now: 1, framing: framing, expectation: .none, maxBodyBytes: 10,
                                               keepsAlive: true, shuttingDown: false) == .none)
            #expect(core.phase == .reading)
            #expect(core.requestReceived(keepsAlive: true, shuttingDown: false) == .dispatch)
        }
    }

    @Test func continueIsSentWhenTheHandlerFirstAsksAndNotAfterAnAnswer() {
        var asks = Self.streaming(expectation: .continueBeforeBody)
        #expect(asks.continuePending)
        #expect(asks.bodyWanted(now: 110) == .readBody(sendContinue: true))
        #expect(asks.bodyWanted(now: 111) == .readBody(sendContinue: false), "once")

        var answers = Self.streaming(expectation: .continueBeforeBody)
        answers.responseHeadQueued()
        #expect(answers.bodyWanted(now: 110) == .readBody(sendContinue: false), "a final answer replaces 100 Continue")
    }

    @Test(arguments: [
        (BodyFraming.length(1001), HTTPRules.Expectation.none, Core.Action.respondWithError(status: 413, message: "request body larger than 1000 bytes\n")),
        (.chunked, .unsupported("x"), .respondWithError(status: 417, message: "unsupported expectation: x\n")),
        (.length(1000), .continueBeforeBody, .dispatchHead),
    ])
    func headRefusalsComeBeforeTheHandler(_ framing: BodyFraming, _ expectation: HTTPRules.Expectation, _ expected: Core.Action) {
        var core = Core(now: 0, timeouts: Self.timeouts, usesTLS: false)
        core.requestStarted(now: 0)
        #expect(core.streamingHeadReceived(now: 1, framing: framing, expectation: expectation, maxBodyBytes: 1000,
                                           keepsAlive: true, shuttingDown: false) == expected)
    }

    @Test func anAnswerThatEndsBeforeTheBodyClosesTheConnection() {
        var core = Self.streaming()
        #expect(core.answerMustClose, "an answer before the handler asked for the body says Connection: close")
        var reading = Self.streaming()
        _ = reading.bodyWanted(now: 110)
        #expect(!reading.answerMustClose, "a handler reading the body may answer while it does")
        #expect(reading.answerMustClose(endsNow: true), "but a whole answer before the body's end leaves the rest unread: it closes")
        core.responseHeadQueued()
        core.responseEnded()
        #expect(core.drained(now: 120) == .lingerThenClose, "the unread rest of the body is not read for a next request")
        #expect(core.phase == .lingering)
    }

    @Test func errorsAreAnsweredUntilTheAnswerStartsThenClose() {
        var early = Self.streaming()
        #expect(early.streamedBodyTooLarge(limit: 5) == .respondWithError(status: 413, message: "request body larger than 5 bytes\n"))
        var late = Self.streaming()
        late.responseHeadQueued()
        #expect(late.streamedBodyTooLarge(limit: 5) == .close, "a started answer cannot become a 413")

        var malformed = Self.streaming()
        #expect(malformed.requestRefused(HTTPQError(.invalidChunkSize, at: 9)) == .respondWithError(status: 400, message: "\(HTTPQError(.invalidChunkSize, at: 9))\n"))
        var malformedLate = Self.streaming()
        malformedLate.responseHeadQueued()
        #expect(malformedLate.requestRefused(HTTPQError(.invalidChunkSize, at: 9)) == .close)
    }

    @Test func aStalledUploadTimesOutWith408() {
        var core = Self.streaming()
        _ = core.bodyWanted(now: 110)
        #expect(core.deadlinePassed(requestStarted: true) == .respondWithError(status: 408, message: "request not received in time\n"))
    }

    @Test func thePeerLeavingMidBodyClosesAndShutdownWaitsForTheAnswer() {
        var leaving = Self.streaming()
        #expect(leaving.peerClosed() == .close)
        var shutdown = Self.streaming()
        #expect(shutdown.serverShuttingDown() == .none && shutdown.closeAfterResponse)
        let notKeptAlive = Self.streaming(keepsAlive: false)
        #expect(notKeptAlive.closeAfterResponse)
    }
}
