#if canImport(Glibc)
import Glibc
#endif

/// A joinable pthread running one closure: the loop threads, and the package's few other
/// threads of its own (the access log's writer).
package final class PosixThread: @unchecked Sendable {
    private var handle = pthread_t()
    private var joined = false

    /// Starts `body` on a new thread; `name` is kept for diagnostics.
    package init(name: String, _ body: @escaping @Sendable () -> Void) throws(EvLoopError) {
        let box = Unmanaged.passRetained(Box(name: name, body: body)).toOpaque()
        let status = pthread_create(&handle, nil, { raw in
            let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
            box.body()
            return nil
        }, box)
        if status != 0 {
            Unmanaged<Box>.fromOpaque(box).release()
            throw .threadCreationFailed(errno: status)
        }
    }

    /// Waits for the thread to finish; once.
    package func join() {
        guard !joined else { return }
        joined = true
        pthread_join(handle, nil)
    }

    private final class Box {
        let name: String
        let body: @Sendable () -> Void
        init(name: String, body: @escaping @Sendable () -> Void) { self.name = name; self.body = body }
    }
}
