import CPeers
import EvLoop
import Workloads

// A fixed amount of reactor work, for profilers:
// swift build -c release --product ReactorProfile && perf record -g .build/release/ReactorProfile execute 2000000
let arguments = CommandLine.arguments
let work = arguments.count > 1 ? arguments[1] : "execute"
let count = arguments.count > 2 ? Int(arguments[2])! : 1_000_000
switch work {
case "execute":
    let thread = try EventLoopThread()
    ReactorWork.evLoopExecute(thread.loop, count: count)
    try thread.shutdown()
case "execute-tasks":
    let thread = try EventLoopThread()
    ReactorWork.evLoopExecuteTasks(thread.loop, count: count)
    try thread.shutdown()
case "execute-pinned":
    let thread = try EventLoopThread()
    ReactorWork.evLoopExecutePinned(thread.loop, count: count)
    try thread.shutdown()
case "timers":
    ReactorWork.evLoopTimers(count: count)
case "timer-tasks":
    ReactorWork.evLoopTimerTasks(count: count)
case "timer-chain":
    ReactorWork.evLoopTimerChain(count: count)
case "callbacks":
    ReactorWork.evLoopCallbacks(count: count)
case "callback-tasks":
    ReactorWork.evLoopCallbackTasks(count: count)
// The C peers on libev, counted the same way (the denominators of the cost ratios).
case "c-execute":
    _ = peer_libev_execute(count)
case "c-timers":
    _ = peer_libev_timers(count)
default:
    fatalError("usage: ReactorProfile execute|execute-tasks|execute-pinned|timers|timer-tasks|timer-chain|callbacks|callback-tasks|c-execute|c-timers [COUNT]")
}
print("\(work): \(count)")
