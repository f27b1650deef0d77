#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// A parallel region's work, as an object: `ThreadPool.run(_: ParallelWork)` hands it to the
/// workers without allocating (a closure would need a heap box per call to cross threads).
/// The object keeps the region's parameters in its own fields.
protocol ParallelWork: AnyObject {
    /// Runs worker `part`'s share (`part < parts`).
    func work(part: Int, of parts: Int)
}

/// A persistent pool of compute threads with a cheap spin barrier.
///
/// The calling thread is worker 0; `threadCount - 1` pthreads wait for work. `run` hands every
/// worker the same body with its index and returns when all are done. Workers spin briefly
/// after a job (the next matmul usually follows within microseconds), then yield, then sleep on
/// a condition variable so an idle model costs no CPU. Nothing here touches Swift's cooperative
/// pool or Dispatch, so a running model never starves the UI's tasks.
public final class ThreadPool: @unchecked Sendable {
    /// Total workers, including the caller of `run`.
    public let threadCount: Int

    private let generation = Atomic<Int>(0)
    private let pending = Atomic<Int>(0)
    private let sleepers = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    private var mutex = pthread_mutex_t()
    private var condition = pthread_cond_t()
    private var workers: [pthread_t] = []
    /// The current job; only valid between the generation bump and the completion of `run`.
    private var job: ((Int, Int) -> Void)?
    /// The current allocation-free job (takes precedence over `job`); unowned: `run` waits.
    private unowned(unsafe) var task: (any ParallelWork)?

    /// Spin iterations before yielding, and yields before sleeping.
    private static let spinLimit = 2_000
    private static let yieldLimit = 200

    public init(threads: Int = 2) {
        threadCount = max(1, threads)
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&condition, nil)
        for index in 1..<max(1, threadCount) {
            let box = Unmanaged.passRetained(WorkerStart(pool: Unmanaged.passUnretained(self), index: index))
            var tid = pthread_t()
            let rc = pthread_create(&tid, nil, { arg in
                let start = Unmanaged<WorkerStart>.fromOpaque(arg!).takeRetainedValue()
                // +0 for the whole loop: a worker holding a strong reference would keep its
                // pool (and the pool its threads) alive forever.
                start.pool._withUnsafeGuaranteedRef { $0.workerLoop(index: start.index) }
                return nil
            }, box.toOpaque())
            precondition(rc == 0, "pthread_create failed: \(rc)")
            workers.append(tid)
        }
    }

    deinit {
        stopping.store(true, ordering: .sequentiallyConsistent)
        generation.add(1, ordering: .sequentiallyConsistent)
        pthread_mutex_lock(&mutex)
        pthread_cond_broadcast(&condition)
        pthread_mutex_unlock(&mutex)
        for t in workers { pthread_join(t, nil) }
        pthread_cond_destroy(&condition)
        pthread_mutex_destroy(&mutex)
    }

    /// Runs `body(threadIndex, threadCount)` on every worker (the caller is index 0) and waits.
    /// Not reentrant: call from one thread at a time.
    public func run(_ body: (Int, Int) -> Void) {
        if threadCount == 1 { body(0, 1); return }
        withoutActuallyEscaping(body) { escaping in
            job = escaping
            start()
            escaping(0, threadCount)
            waitForWorkers()
            job = nil
        }
    }

    /// Runs `work.work(part:of:)` on every worker (the caller is part 0) and waits. Allocates
    /// nothing, so the forward pass uses this form. Not reentrant.
    func run(_ work: any ParallelWork) {
        if threadCount == 1 { work.work(part: 0, of: 1); return }
        task = work
        start()
        work.work(part: 0, of: threadCount)
        waitForWorkers()
        task = nil
    }

    @inline(__always) private func start() {
        pending.store(threadCount - 1, ordering: .sequentiallyConsistent)
        generation.add(1, ordering: .sequentiallyConsistent)
        if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
            pthread_mutex_lock(&mutex)
            pthread_cond_broadcast(&condition)
            pthread_mutex_unlock(&mutex)
        }
    }

    @inline(__always) private func waitForWorkers() {
        var spins = 0
        while pending.load(ordering: .acquiring) > 0 {
            spins += 1
            if spins > Self.spinLimit { sched_yield() }
        }
    }

    /// Splits `0..<count` into `threadCount` contiguous parts, rounded to multiples of `align`.
    @inline(__always)
    public static func slice(_ count: Int, part: Int, of parts: Int, align: Int = 1) -> Range<Int> {
        let units = (count + align - 1) / align
        let per = units / parts, extra = units % parts
        let lo = part * per + min(part, extra)
        let hi = lo + per + (part < extra ? 1 : 0)
        return min(count, lo * align)..<min(count, hi * align)
    }

    private func workerLoop(index: Int) {
        // Generation 0 is the state at creation: a worker that starts late must still run the
        // first job, so it must not read the counter here.
        var seen = 0
        while true {
            var spins = 0
            while generation.load(ordering: .acquiring) == seen {
                spins += 1
                if spins < Self.spinLimit { continue }
                if spins < Self.spinLimit + Self.yieldLimit { sched_yield(); continue }
                pthread_mutex_lock(&mutex)
                sleepers.add(1, ordering: .sequentiallyConsistent)
                while generation.load(ordering: .sequentiallyConsistent) == seen {
                    pthread_cond_wait(&condition, &mutex)
                }
                sleepers.subtract(1, ordering: .sequentiallyConsistent)
                pthread_mutex_unlock(&mutex)
            }
            seen = generation.load(ordering: .acquiring)
            if stopping.load(ordering: .acquiring) { return }
            if let t = task { t.work(part: index, of: threadCount) } else { job?(index, threadCount) }
            pending.subtract(1, ordering: .releasing)
        }
    }
}

private final class WorkerStart {
    /// Unretained: the pool joins its threads in `deinit`, so it outlives every worker loop.
    let pool: Unmanaged<ThreadPool>
    let index: Int
    init(pool: Unmanaged<ThreadPool>, index: Int) { self.pool = pool; self.index = index }
}
