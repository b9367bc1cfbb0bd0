import Foundation

/// The Go programs in `TestPeers/` (a server app and a client), built with Debian's Go into
/// `.build-go/` with a build cache of their own: a first build compiles net/http, longer
/// than a server's start is given, so they are built before, once per test process.
public enum GoPeers {
    /// The Go toolchain (`scripts/setup.sh` installs it).
    public static let go = ChildProcess.which("go") ?? "/usr/bin/go"
    private static let lock = NSLock()
    nonisolated(unsafe) private static var built: [String: String?] = [:]

    /// `TestPeers/NAME.go` built (once per process), or nil when it does not build.
    public static func build(_ name: String) -> String? {
        lock.lock()
        defer { lock.unlock() }
        if let binary = built[name] { return binary }
        let folder = RealServer.packageRoot.appendingPathComponent(".build-go").path
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let binary = folder + "/" + name
        let source = RealServer.packageRoot.appendingPathComponent("TestPeers/\(name).go").path
        let result = try? ChildProcess.run(go, ["build", "-o", binary, source], timeout: .seconds(300),
                                           environment: ["GOCACHE=\(folder)/cache", "GOPATH=\(folder)/path", "HOME=/tmp",
                                                         "PATH=/usr/bin:/bin", "GOFLAGS=-trimpath", "CGO_ENABLED=0"])
        let outcome: String? = result?.status == 0 ? binary : nil
        built[name] = outcome
        return outcome
    }
}
