/// Work the loop runs without allocating: an object the caller already has, whose `run()`
/// the loop calls on its thread.
///
/// `execute { ... }` with a closure that captures anything allocates a context for each
/// call (and frees it on the loop's thread, across threads from where it was made); for a
/// hop made once per message or per event, that allocation is most of the cost. An object
/// that does the same work each time — a connection flushing its output, a counter, a
/// batch collector — conforms once and is handed over as is:
///
/// ```swift
/// final class Tick: LoopTask {
///     let loop: EventLoop
///     var count = 0  // touched on the loop's thread only
///     init(loop: EventLoop) { self.loop = loop }
///     func run() { count += 1 }
/// }
/// let tick = Tick(loop: loop)
/// loop.execute(tick)                          // from any thread
/// loop.schedule(after: .milliseconds(5), tick) // a timer running the same object
/// ```
///
/// The loop holds the object from the call until `run()` returns. An object submitted
/// twice runs twice.
public protocol LoopTask: AnyObject, Sendable {
    /// Called on the loop's thread.
    func run()
}
