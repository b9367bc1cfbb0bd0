import HTTPQ
import Testing
@testable import HTTPQClient

/// `ClientConnectionCore` through its transitions, with time as a number: no sockets.
@Suite struct ClientConnectionCoreTests {
    typealias Core = ClientConnectionCore

    static func inFlight(_ method: String = "GET", upgrade: Bool = false, close: Bool = false) -> Core {
        var core = Core()
        core.requestSent(method: method, asksUpgrade: upgrade, asksToClose: close, now: 10)
        return core
    }

    @Test func everyAddressIsTriedInTurnAndTheLastFailureSaysWhy() {
        var core = Core()
        #expect(core.phase == .resolving)
        #expect(core.resolved(count: 3, host: "h", port: 80) == .connect(index: 0, more: true))
        #expect(core.attemptFailed(errno: 101, refused: false, host: "h", port: 80) == .connect(index: 1, more: true))
        #expect(core.attemptFailed(errno: 111, refused: true, host: "h", port: 80) == .connect(index: 2, more: false))
        #expect(core.attemptFailed(errno: 113, refused: false, host: "h", port: 80) == .fail(.unreachable(host: "h", port: 80, errno: 113)))
        var refused = Core()
        #expect(refused.resolved(count: 1, host: "h", port: 80) == .connect(index: 0, more: false))
        #expect(refused.attemptFailed(errno: 111, refused: true, host: "h", port: 80) == .fail(.connectionRefused(host: "h", port: 80)))
        var none = Core()
        #expect(none.resolved(count: 0, host: "h", port: 80) == .fail(.resolveFailed(host: "h", reason: "no addresses")))
    }

    /// RFC 8305: a silent attempt is not abandoned when the next one starts; the race fails
    /// only when every attempt has, and the first to connect wins.
    @Test func attemptsRaceAfterTheDelayAndFailOnlyWhenAllHave() {
        var core = Core()
        #expect(core.resolved(count: 3, host: "h", port: 80) == .connect(index: 0, more: true))
        #expect(core.nextAttemptDue() == .connect(index: 1, more: true))
        #expect(core.phase == .connecting(next: 2, open: 2))
        // The second fails at once: the third starts without waiting for the delay.
        #expect(core.attemptFailed(errno: 111, refused: true, host: "h", port: 80) == .connect(index: 2, more: false))
        #expect(core.nextAttemptDue() == .none, "no address left to add")
        #expect(core.attemptFailed(errno: 111, refused: true, host: "h", port: 80) == .none, "the first still races")
        #expect(core.attemptFailed(errno: 110, refused: false, host: "h", port: 80) == .fail(.unreachable(host: "h", port: 80, errno: 110)))
        var winner = Core()
        _ = winner.resolved(count: 2, host: "h", port: 80)
        _ = winner.nextAttemptDue()
        #expect(winner.tcpConnected(usesTLS: false) == .established)
        #expect(winner.attemptFailed(errno: 111, refused: true, host: "h", port: 80) == .none, "a late loser changes nothing")
        #expect(winner.nextAttemptDue() == .none)
    }

    @Test func familiesAreInterleavedStartingWithTheFirst() {
        let v6 = (1...3).map { SocketAddress(ip: "::\($0)", port: 80)! }
        let v4 = (1...2).map { SocketAddress(ip: "127.0.0.\($0)", port: 80)! }
        #expect(SocketAddress.interleavedByFamily(v6 + v4) == [v6[0], v4[0], v6[1], v4[1], v6[2]])
        #expect(SocketAddress.interleavedByFamily(v4 + v6) == [v4[0], v6[0], v4[1], v6[1], v6[2]])
        #expect(SocketAddress.interleavedByFamily([]) == [])
    }

    @Test func tcpThenTLSThenReady() {
        var plain = Core()
        _ = plain.resolved(count: 1, host: "h", port: 80)
        #expect(plain.tcpConnected(usesTLS: false) == .established)
        #expect(plain.phase == .connected)
        var tls = Core()
        _ = tls.resolved(count: 1, host: "h", port: 443)
        #expect(tls.tcpConnected(usesTLS: true) == .startTLS)
        #expect(tls.phase == .handshaking)
        #expect(tls.handshakeFinished() == .established)
        #expect(tls.phase == .connected)
        #expect(tls.handshakeFinished() == .none, "once")
        tls.closed()
        #expect(tls.phase == .closed)
        #expect(tls.tcpConnected(usesTLS: true) == .none && tls.resolved(count: 1, host: "h", port: 1) == .none, "closed is final")
    }

    @Test func anAnswerBeforeTheUploadEndsLeavesTheConnectionUnusable() {
        var core = Self.inFlight("PUT")
        core.uploadStarted()
        core.uploadProgressed(now: 50)
        #expect(core.lastRead == 50, "writing the body is progress for the idle timeout")
        #expect(core.messageComplete(status: 413, isInformational: false, keepsAlive: true, extraBytes: false) == .complete(reusable: false))
        var finished = Self.inFlight("PUT")
        finished.uploadStarted()
        finished.uploadFinished()
        #expect(finished.messageComplete(status: 201, isInformational: false, keepsAlive: true, extraBytes: false) == .complete(reusable: true))
    }

    @Test func bytesWithoutARequestFailTheConnection() {
        var core = Core()
        #expect(core.bytesArrived(now: 1) == .fail(.cancelled))
        #expect(!core.isReusable)
        var asked = Self.inFlight()
        #expect(asked.bytesArrived(now: 11) == .none)
        #expect(asked.responseStarted && asked.lastRead == 11)
    }

    @Test func readAndWriteFailuresSayWhereTheResponseWas() {
        let fresh = Self.inFlight()
        #expect(fresh.readFailed(errno: 104, peerGone: true, inBody: false) == .closedBeforeHead)
        #expect(fresh.readFailed(errno: 5, peerGone: false, inBody: false) == .systemCallFailed(call: "read", errno: 5))
        var started = Self.inFlight()
        _ = started.bytesArrived(now: 11)
        #expect(started.readFailed(errno: 104, peerGone: true, inBody: true) == .closedMidBody)
        #expect(started.writeFailed(errno: 32, peerGone: true) == .closedMidBody)
        #expect(fresh.writeFailed(errno: 32, peerGone: true) == .closedBeforeHead)
    }

    @Test func thePeerClosing() {
        var idle = Core()
        #expect(idle.peerClosed(announced: true, framing: nil, inBody: false) == .close)
        var closeDelimited = Self.inFlight()
        _ = closeDelimited.bytesArrived(now: 11)
        #expect(closeDelimited.peerClosed(announced: true, framing: .untilClose, inBody: true) == .finishCloseDelimited)
        #expect(!closeDelimited.isReusable)
        var cut = Self.inFlight()
        _ = cut.bytesArrived(now: 11)
        #expect(cut.peerClosed(announced: false, framing: .untilClose, inBody: true) == .fail(.tls(.closedWithoutNotify)))
        var short = Self.inFlight()
        _ = short.bytesArrived(now: 11)
        #expect(short.peerClosed(announced: true, framing: .length(10), inBody: true) == .fail(.closedMidBody))
        var nothing = Self.inFlight()
        #expect(nothing.peerClosed(announced: true, framing: nil, inBody: false) == .fail(.closedBeforeHead))
    }

    @Test func completions() {
        var interim = Self.inFlight()
        #expect(interim.messageComplete(status: 100, isInformational: true, keepsAlive: true, extraBytes: false) == .interim)
        #expect(interim.inFlight != nil)
        var kept = Self.inFlight()
        #expect(kept.messageComplete(status: 200, isInformational: false, keepsAlive: true, extraBytes: false) == .complete(reusable: true))
        #expect(kept.inFlight == nil)
        var extra = Self.inFlight()
        #expect(extra.messageComplete(status: 200, isInformational: false, keepsAlive: true, extraBytes: true) == .complete(reusable: false))
        var unasked = Self.inFlight()
        #expect(unasked.messageComplete(status: 101, isInformational: true, keepsAlive: false, extraBytes: false) == .fail(.unexpectedSwitchingProtocols))
        var asked = Self.inFlight(upgrade: true)
        #expect(asked.messageComplete(status: 101, isInformational: true, keepsAlive: false, extraBytes: false) == .complete(reusable: false))
        var tunnel = Self.inFlight("CONNECT")
        #expect(tunnel.messageComplete(status: 200, isInformational: false, keepsAlive: true, extraBytes: false) == .complete(reusable: false))
        var closing = Self.inFlight(close: true)
        #expect(closing.messageComplete(status: 200, isInformational: false, keepsAlive: true, extraBytes: false) == .complete(reusable: false))
        #expect(!closing.isReusable, "once not reusable, never again")
    }

    @Test func silenceCountsOnlyWhileReading() {
        var core = Self.inFlight()
        #expect(core.idleCheck(now: 25, limit: 30) == .rearmIdleTimer(after: 15))
        #expect(core.idleCheck(now: 40, limit: 30) == .fail(.timedOut(.idleRead)))
        var paused = Self.inFlight()
        paused.pause()
        #expect(paused.idleCheck(now: 100, limit: 30) == .rearmIdleTimer(after: 30), "a paused consumer is not a stalled peer")
        let wasPaused = paused.resume()
        let pausedAgain = paused.resume()
        #expect(wasPaused && !pausedAgain)
        var idle = Core()
        #expect(idle.idleCheck(now: 100, limit: 30) == .none)
    }
}
