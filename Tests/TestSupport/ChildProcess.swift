import CSpawn
#if canImport(Glibc)
import Glibc
#endif

/// A child process spawned with `posix_spawn` and reaped by its own pid only, with every
/// wait bounded.
///
/// Why not Foundation's `Process`: it watches children from one shared monitor thread that
/// calls a blocking `waitpid` as soon as a child closes its inherited descriptors. dnsmasq
/// does that at start-up while it keeps running, so the monitor blocks for the peer's whole
/// life and every other `waitUntilExit` in the test process waits with it (a CI run hung for
/// 90 minutes on exactly this).
public final class ChildProcess: @unchecked Sendable {
    /// How a finished child ended.
    public enum Termination: Equatable, Sendable {
        case exited(Int32)
        case signalled(Int32)
        /// Still running when the deadline passed (it has been killed and reaped).
        case timedOut
    }

    /// The output of a child run to completion.
    public struct Output: Sendable {
        public var termination: Termination
        public var stdout: [UInt8]
        public var stderr: [UInt8]
        public var status: Int32 { if case .exited(let code) = termination { code } else { -1 } }
        public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
        public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
    }

    public let pid: pid_t
    private var reaped: Termination?

    /// Starts `path` with `arguments`; its stdin, stdout and stderr are `/dev/null` unless
    /// descriptors are given (they are dup'ed into place in the child).
    public init(_ path: String, _ arguments: [String], stdin: Int32? = nil, stdout: Int32? = nil,
                stderr: Int32? = nil, environment: [String]? = nil) throws(ChildProcessError) {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (source, target) in [(stdin, Int32(0)), (stdout, 1), (stderr, 2)] {
            if let source {
                posix_spawn_file_actions_adddup2(&actions, source, target)
            } else {
                posix_spawn_file_actions_addopen(&actions, target, "/dev/null", target == 0 ? O_RDONLY : O_WRONLY, 0)
            }
        }
        // Nothing else of the test process leaks into the child: a socket another test holds
        // open in a child would never see its end of file.
        cspawn_addclosefrom(&actions, 3)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // The child starts with default signal handling and no blocked signals, whatever
        // the test process (or an event loop in it) has set.
        var all = sigset_t(), none = sigset_t()
        sigfillset(&all); sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let env = environment.map { $0.map { strdup($0) } + [nil] }
        defer { env?.forEach { free($0) } }
        var pid: pid_t = 0
        let result = env.map { posix_spawn(&pid, path, &actions, &attributes, argv, $0) }
            ?? posix_spawn(&pid, path, &actions, &attributes, argv, environ)
        guard result == 0 else { throw .spawnFailed(path: path, errno: result) }
        self.pid = pid
    }

    /// Waits until the child ends or `timeout` passes; in the latter case kills and reaps it.
    @discardableResult
    public func wait(timeout: Duration = .seconds(60)) -> Termination {
        if let reaped { return reaped }
        let deadline = ContinuousClock.now + timeout
        while true {
            if let ended = poll() { return ended }
            if ContinuousClock.now >= deadline {
                kill()
                reaped = .timedOut
                return .timedOut
            }
            usleep(2_000)
        }
    }

    /// Sends `signal` (SIGKILL by default) and reaps the child, bounded by a few seconds.
    public func kill(_ signal: Int32 = SIGKILL) {
        guard reaped == nil else { return }
        Glibc.kill(pid, signal)
        for _ in 0..<1_000 {
            if poll() != nil { return }
            usleep(5_000)
        }
    }

    /// Whether the child is still running.
    public var isRunning: Bool { reaped == nil && poll() == nil }

    /// Reaps the child if it has ended (never blocks).
    private func poll() -> Termination? {
        if let reaped { return reaped }
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        if result == pid {
            let signalled = status & 0x7f
            reaped = signalled == 0 ? .exited((status >> 8) & 0xff) : .signalled(signalled)
        } else if result < 0 && errno == ECHILD {
            reaped = .exited(-1) // reaped elsewhere; status unknown
        }
        return reaped
    }

    deinit { kill() }

    /// The full path of `name` found on PATH (or in the usual system directories).
    public static func which(_ name: String) -> String? {
        let path = getenv("PATH").map { String(cString: $0) } ?? ""
        let directories = path.split(separator: ":").map(String.init) + ["/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin"]
        return directories.map { "\($0)/\(name)" }.first { access($0, X_OK) == 0 }
    }

    /// Runs `path` to completion with `input` on its stdin, collecting stdout and stderr;
    /// bounded by `timeout`. `environment` ("NAME=value" each) replaces the inherited one.
    public static func run(_ path: String, _ arguments: [String], input: [UInt8] = [],
                           timeout: Duration = .seconds(60), environment: [String]? = nil) throws(ChildProcessError) -> Output {
        // A child that exits before reading all its input must not end the tests by SIGPIPE
        // (children start with every signal at its default: `posix_spawnattr_setsigdefault`).
        signal(SIGPIPE, SIG_IGN)
        let stdin = try Pipe(), stdout = try Pipe(), stderr = try Pipe()
        let child: ChildProcess
        do {
            child = try ChildProcess(path, arguments, stdin: stdin.read, stdout: stdout.write, stderr: stderr.write,
                                     environment: environment)
        } catch {
            stdin.closeBoth(); stdout.closeBoth(); stderr.closeBoth()
            throw error
        }
        close(stdin.read); close(stdout.write); close(stderr.write)
        var writer: Int32? = stdin.write
        if input.isEmpty { close(stdin.write); writer = nil }
        var readers: [Int32?] = [stdout.read, stderr.read]
        var collected: [[UInt8]] = [[], []]
        var written = 0
        let deadline = ContinuousClock.now + timeout
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while readers.contains(where: { $0 != nil }) && ContinuousClock.now < deadline {
            var fds = readers.map { pollfd(fd: $0 ?? -1, events: Int16(POLLIN), revents: 0) }
            fds.append(pollfd(fd: writer ?? -1, events: Int16(POLLOUT), revents: 0))
            guard Glibc.poll(&fds, nfds_t(fds.count), 100) >= 0 || errno == EINTR else { break }
            for index in 0..<2 where fds[index].revents != 0 {
                let count = buffer.withUnsafeMutableBytes { Glibc.read(fds[index].fd, $0.baseAddress, $0.count) }
                if count > 0 {
                    collected[index] += buffer[0..<count]
                } else if count == 0 || errno != EINTR {
                    close(fds[index].fd); readers[index] = nil
                }
            }
            if let fd = writer, fds[2].revents != 0 {
                let count = input.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, $0.count - written) }
                if count > 0 { written += count }
                if count < 0 && errno != EINTR || written == input.count { close(fd); writer = nil }
            }
        }
        readers.compactMap { $0 }.forEach { close($0) }
        if let writer { close(writer) }
        let remaining = deadline - ContinuousClock.now
        let termination = child.wait(timeout: remaining > .zero ? remaining : .zero)
        return Output(termination: termination, stdout: collected[0], stderr: collected[1])
    }
}

/// A pipe whose write end does not block the test (the child's ends are dup'ed).
struct Pipe {
    let read: Int32
    let write: Int32
    init() throws(ChildProcessError) {
        var fds: [Int32] = [0, 0]
        guard cspawn_pipe_cloexec(&fds) == 0 else { throw .pipeFailed(errno: errno) }
        read = fds[0]; write = fds[1]
    }
    func closeBoth() { close(read); close(write) }
}

/// Why a child could not be started.
public enum ChildProcessError: Error, CustomStringConvertible {
    case spawnFailed(path: String, errno: Int32)
    case pipeFailed(errno: Int32)
    public var description: String {
        switch self {
        case .spawnFailed(let path, let code): "could not start \(path): \(String(cString: strerror(code)))"
        case .pipeFailed(let code): "pipe: \(String(cString: strerror(code)))"
        }
    }
}
