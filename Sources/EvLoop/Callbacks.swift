import CEv

// The C entry points libev calls. Each finds its Swift watcher through the watcher's
// `data` pointer (set, unretained, at init; the loop's list keeps it alive while active).

func ioCallback(_ loop: OpaquePointer?, _ io: UnsafeMutablePointer<ev_io>?, _ revents: Int32) {
    Unmanaged<IOWatcher>.fromOpaque(cev_get_data(io)!).takeUnretainedValue().fire(revents)
}

/// A pooled timer (`scheduleCallback`, `schedule`): the slot is found from the struct's
/// address, the loop from libev's user data.
func slotTimerCallback(_ loop: OpaquePointer?, _ timer: UnsafeMutablePointer<ev_timer>?, _ revents: Int32) {
    Unmanaged<EventLoop>.fromOpaque(ev_userdata(loop)!).takeUnretainedValue()
        .fireCallback(TimerSlots.slot(holding: timer!))
}

func signalCallback(_ loop: OpaquePointer?, _ signal: UnsafeMutablePointer<ev_signal>?, _ revents: Int32) {
    Unmanaged<SignalWatcher>.fromOpaque(cev_get_data(signal)!).takeUnretainedValue().fire()
}

func wakeupCallback(_ loop: OpaquePointer?, _ async: UnsafeMutablePointer<ev_async>?, _ revents: Int32) {
    Unmanaged<EventLoop>.fromOpaque(ev_userdata(loop)!).takeUnretainedValue().wokenUp()
}
