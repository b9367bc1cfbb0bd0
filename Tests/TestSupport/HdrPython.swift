import Foundation

/// Python with PyPI's `hdrhistogram` (module `hdrh`), HdrHistogram's Python port: an
/// independent reader and writer of the V2 encoding and the interval log. `scripts/setup.sh`
/// puts it in a virtual environment at `.build-venv` (not in the repository).
public enum HdrPython {
    public static let path: String = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build-venv/bin/python").path
    }()

    /// Whether the environment is there with `hdrh` importable.
    public static var isAvailable: Bool {
        guard FileManager.default.isExecutableFile(atPath: path) else { return false }
        return (try? ChildProcess.run(path, ["-c", "import hdrh"]))?.status == 0
    }

    /// Runs `script` with `arguments`; returns standard output, or throws with standard error.
    public static func run(_ script: String, _ arguments: [String] = [], input: [UInt8] = []) throws -> String {
        let output = try ChildProcess.run(path, ["-c", script] + arguments, input: input)
        guard output.status == 0 else { throw HdrPythonFailure(message: output.stderrText) }
        return output.stdoutText
    }
}

public struct HdrPythonFailure: Error, CustomStringConvertible {
    public let message: String
    public var description: String { "python hdrh failed: \(message)" }
}
