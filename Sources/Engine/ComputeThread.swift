import Foundation

/// A dedicated thread that runs the engine's compute jobs one at a time.
///
/// Model code blocks while it computes (its worker pool joins the calling thread), so it must
/// never run on Swift's cooperative pool: the actor hands jobs here and awaits their result.
final class ComputeThread: @unchecked Sendable {
    /// The job queue, shared with the thread (which must not keep the `ComputeThread` alive,
    /// so that dropping the engine ends the thread).
    private final class Queue: @unchecked Sendable {
        let condition = NSCondition()
        var jobs: [() -> Void] = []
        var closed = false
    }
    private let queue = Queue()

    init(name: String) {
        let queue = self.queue
        let t = Thread { ComputeThread.loop(queue) }
        t.name = name
        t.stackSize = 8 << 20
        t.start()
    }

    /// Lets the thread finish the jobs already queued, then end.
    deinit {
        queue.condition.lock()
        queue.closed = true
        queue.condition.signal()
        queue.condition.unlock()
    }

    /// Queues `job`; returns at once.
    func submit(_ job: @escaping () -> Void) {
        queue.condition.lock()
        queue.jobs.append(job)
        queue.condition.signal()
        queue.condition.unlock()
    }

    /// Runs `body` on the compute thread and returns its result to the awaiting task.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<T, Error>) in
            submit { c.resume(with: Result { try body() }) }
        }
    }

    private static func loop(_ queue: Queue) {
        while true {
            queue.condition.lock()
            while queue.jobs.isEmpty && !queue.closed { queue.condition.wait() }
            if queue.jobs.isEmpty {
                queue.condition.unlock()
                return
            }
            let job = queue.jobs.removeFirst()
            queue.condition.unlock()
            job()
        }
    }
}

/// A flag set from any thread and read by the compute loop between tokens.
final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
    func set() { lock.lock(); value = true; lock.unlock() }
}
