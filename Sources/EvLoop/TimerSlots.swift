import CEv
#if canImport(Glibc)
import Glibc
#endif

/// One timer the loop owns: libev's struct and the work it runs, side by side.
struct TimerSlot {
    var timer = ev_timer()
    /// What the timer runs; nil while the slot is free.
    var work: PendingWork?
    /// Bumped each time the slot is freed: a handle from an earlier use no longer matches.
    var generation: UInt32 = 0
    var index: Int32
    /// The next free slot while this one is free (-1: none).
    var nextFree: Int32 = -1

    init(index: Int32) { self.index = index }

    /// A repeating timer: libev's struct keeps its period (0 for a one-shot).
    var isRepeating: Bool { timer.repeat > 0 }
}

/// The loop's timer slots (`scheduleCallback`, and `schedule`'s `ScheduledTimer`s): chunks of
/// `TimerSlot` that never move (libev keeps pointers to the structs), reused through a free
/// list. A timer costs no allocation once the pool has grown to the number of timers alive at
/// once (a `ScheduledTimer` still allocates its handle). Loop-confined.
final class TimerSlots {
    private static let chunkSize = 256
    private var chunks: UnsafeMutablePointer<UnsafeMutablePointer<TimerSlot>>
    private var chunkCount = 0
    private var chunkCapacity = 4
    private var freeHead: Int32 = -1
    /// Slots holding a started timer.
    private(set) var activeCount = 0

    init() {
        precondition(MemoryLayout<TimerSlot>.offset(of: \.timer) == 0, "the libev struct must open its slot")
        chunks = .allocate(capacity: chunkCapacity)
    }

    deinit {
        for chunk in 0..<chunkCount {
            chunks[chunk].deinitialize(count: Self.chunkSize)
            chunks[chunk].deallocate()
        }
        chunks.deallocate()
    }

    /// The libev struct inside `slot`, at an address that never changes: the slot's first
    /// field (checked once, in `init`), so the two pointers are the same address.
    @inline(__always)
    static func timer(in slot: UnsafeMutablePointer<TimerSlot>) -> UnsafeMutablePointer<ev_timer> {
        UnsafeMutableRawPointer(slot).assumingMemoryBound(to: ev_timer.self)
    }

    /// The slot holding the libev struct `timer` (libev's callback gets only the struct).
    @inline(__always)
    static func slot(holding timer: UnsafeMutablePointer<ev_timer>) -> UnsafeMutablePointer<TimerSlot> {
        UnsafeMutableRawPointer(timer).assumingMemoryBound(to: TimerSlot.self)
    }

    /// The slot at `index` (any slot ever handed out).
    @inline(__always)
    func slot(_ index: Int32) -> UnsafeMutablePointer<TimerSlot> {
        let index = Int(index)
        return chunks[index / Self.chunkSize] + index % Self.chunkSize
    }

    /// A free slot, now counted active; the pool grows by a chunk when none is free.
    func take() -> UnsafeMutablePointer<TimerSlot> {
        if freeHead < 0 { grow() }
        let taken = slot(freeHead)
        freeHead = taken.pointee.nextFree
        activeCount += 1
        return taken
    }

    /// Frees `slot` (its timer stopped, its work taken): handles to it go stale.
    func giveBack(_ slot: UnsafeMutablePointer<TimerSlot>) {
        slot.pointee.generation &+= 1
        slot.pointee.nextFree = freeHead
        freeHead = slot.pointee.index
        activeCount -= 1
    }

    /// Calls `body` with every slot holding a started timer.
    func forEachActive(_ body: (UnsafeMutablePointer<TimerSlot>) -> Void) {
        for chunk in 0..<chunkCount {
            for offset in 0..<Self.chunkSize where chunks[chunk][offset].work != nil {
                body(chunks[chunk] + offset)
            }
        }
    }

    private func grow() {
        if chunkCount == chunkCapacity {
            let larger = UnsafeMutablePointer<UnsafeMutablePointer<TimerSlot>>.allocate(capacity: chunkCapacity * 2)
            larger.moveInitialize(from: chunks, count: chunkCount)
            chunks.deallocate()
            chunks = larger
            chunkCapacity *= 2
        }
        let chunk = UnsafeMutablePointer<TimerSlot>.allocate(capacity: Self.chunkSize)
        let first = chunkCount * Self.chunkSize
        // Linked in index order, the lowest first.
        for offset in 0..<Self.chunkSize {
            (chunk + offset).initialize(to: TimerSlot(index: Int32(first + offset)))
            chunk[offset].nextFree = offset + 1 < Self.chunkSize ? Int32(first + offset + 1) : freeHead
        }
        chunks[chunkCount] = chunk
        chunkCount += 1
        freeHead = Int32(first)
    }
}
