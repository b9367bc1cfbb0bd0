/// The loop's table of pinned tasks (`EventLoop.pin(_:)`): each slot holds a task and the
/// generation that names it, reused through a free list. Loop-confined, so reading a slot
/// to run its task touches nothing another thread writes.
final class PinnedTasks {
    private struct Slot {
        var task: (any LoopTask)?
        /// Bumped each time the slot is emptied: a handle from an earlier use no longer matches.
        var generation: UInt32 = 0
        /// The next free slot while this one is empty (-1: none).
        var nextFree: Int32 = -1
    }

    // Loop-confined; unchecked: every access is on the loop's thread, one at a time.
    @exclusivity(unchecked) private var slots: [Slot] = []
    private var freeHead: Int32 = -1

    /// Puts `task` in a free slot; returns the slot's index and generation.
    func add(_ task: any LoopTask) -> (index: Int32, generation: UInt32) {
        if freeHead >= 0 {
            let index = freeHead
            freeHead = slots[Int(index)].nextFree
            slots[Int(index)].task = task
            return (index, slots[Int(index)].generation)
        }
        precondition(slots.count < Int(Int32.max), "too many pinned tasks")
        slots.append(Slot(task: task))
        return (Int32(slots.count - 1), 0)
    }

    /// The task in slot `index` if `generation` still names it (a new reference: the task
    /// may unpin itself while it runs; the loop's thread retains and releases it, which
    /// costs instructions but moves no cache line between threads).
    @inline(__always)
    func task(_ index: Int32, _ generation: UInt32) -> (any LoopTask)? {
        let slot = slots[Int(index)]
        return slot.generation == generation ? slot.task : nil
    }

    /// Empties slot `index` if `generation` still names it, and returns its task (to be
    /// released by the caller once the table is consistent: its deinit may pin again).
    func remove(_ index: Int32, _ generation: UInt32) -> (any LoopTask)? {
        guard Int(index) < slots.count, slots[Int(index)].generation == generation,
              let task = slots[Int(index)].task else { return nil }
        slots[Int(index)].task = nil
        slots[Int(index)].generation &+= 1
        slots[Int(index)].nextFree = freeHead
        freeHead = index
        return task
    }

    /// Empties every slot; returns the tasks, for the caller to release.
    func removeAll() -> [any LoopTask] {
        var tasks: [any LoopTask] = []
        for index in slots.indices {
            if let task = remove(Int32(index), slots[index].generation) { tasks.append(task) }
        }
        return tasks
    }
}
