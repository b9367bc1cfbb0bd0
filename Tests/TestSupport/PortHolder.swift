import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Starts a peer on a port from `freePort()` and returns it once it holds that port, or nil
/// after `attempts` tries.
///
/// A port from `freePort()` is free only until someone binds it: another test's server may
/// take it before the peer does, and a connection to the port would then reach that server.
/// nginx and tinyproxy write their pid file only after binding and exit when they cannot
/// bind, so a pid file, a running process and a connection mean this peer is the one
/// listening. `launch` writes the peer's configuration for the port and starts it.
func startHoldingAFreePort(pidFile: String, host: String = "127.0.0.1", attempts: Int = 3,
                           _ launch: (Int) throws -> ChildProcess) rethrows -> (port: Int, process: ChildProcess)? {
    for _ in 0..<attempts {
        let port = freePort()
        unlink(pidFile)
        let process = try launch(port)
        for _ in 0..<500 where process.isRunning { // bounded: 5 s
            if access(pidFile, F_OK) == 0 && canConnect(port: port, host: host) { return (port, process) }
            usleep(10_000)
        }
        process.kill()
        _ = process.wait(timeout: .seconds(5))
    }
    return nil
}
