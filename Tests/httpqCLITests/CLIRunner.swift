import Foundation
import TestSupport

/// Runs the built `httpq` executable (it sits beside the test bundle) with input on stdin.
enum CLI {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        /// Each stdout line decoded as a JSON object.
        var objects: [[String: Any]] {
            stdout.split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
        }
    }

    static var executable: String {
        let me = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return me.deletingLastPathComponent().appendingPathComponent("httpq").path
    }

    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// Runs `httpq arguments` to completion (bounded: a hung child is killed and reported).
    static func run(_ arguments: [String], input: [UInt8], timeout: Duration = .seconds(60)) throws -> Result {
        let output = try ChildProcess.run(executable, arguments, input: input, timeout: timeout)
        return Result(status: output.termination == .timedOut ? -1 : output.status,
                      stdout: output.stdoutText, stderr: output.stderrText)
    }
}
