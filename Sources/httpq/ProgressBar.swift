#if canImport(Glibc)
import Glibc
#endif

/// A one-line progress bar on standard error, drawn only when standard error is a terminal
/// (a pipe or a file gets no escape codes).
struct ProgressBar {
    let enabled: Bool
    private let started = ContinuousClock.now

    init() {
        enabled = isatty(2) == 1
    }

    /// Redraws `[#####.....] done/total  rate/s  errors`.
    func draw(done: Int, total: Int, errors: Int) {
        guard enabled, total > 0 else { return }
        let width = 30
        let filled = done * width / total
        let elapsed = (ContinuousClock.now - started).seconds
        let rate = elapsed > 0 ? Int(Double(done) / elapsed) : 0
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        FileOutput.standardErrorRaw("\r\u{1B}[2K[\(bar)] \(done)/\(total)  \(rate)/s  \(errors) errors")
    }

    /// Clears the line before the summary.
    func clear() {
        guard enabled else { return }
        FileOutput.standardErrorRaw("\r\u{1B}[2K")
    }
}
