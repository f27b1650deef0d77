import Foundation
import XCTest
@testable import LLM

/// The pool's workers must not keep it alive: a closed model or an evicted level frees its
/// threads (each worker used to hold its pool strongly, so neither ever went away).
final class ThreadPoolTests: XCTestCase {
    private func liveThreads() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count) ?? 0
    }

    func testPoolIsFreedWithItsThreads() throws {
        let before = liveThreads()
        weak var weakPool: ThreadPool?
        do {
            let pool = ThreadPool(threads: 3)
            weakPool = pool
            let hits = UnsafeMutablePointer<Int>.allocate(capacity: 3)
            defer { hits.deallocate() }
            hits.initialize(repeating: 0, count: 3)
            pool.run { part, _ in hits[part] += 1 }
            XCTAssertEqual([hits[0], hits[1], hits[2]], [1, 1, 1])
            XCTAssertEqual(liveThreads(), before + 2)
        }
        XCTAssertNil(weakPool, "the pool outlived its last owner")
        // deinit joined the workers.
        XCTAssertEqual(liveThreads(), before)
    }
}
