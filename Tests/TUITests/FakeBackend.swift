import Foundation
import XCTest
@testable import TUI

/// A backend that streams canned tokens, for tests: no engine, no model.
final class FakeBackend: ChatBackend, @unchecked Sendable {
    let tokens: [String]
    let delay: Duration
    let rows: [ModelRow]
    private let lock = NSLock()
    private var stopped = false
    private(set) var requests: [ChatRequest] = []

    init(tokens: [String] = ["Hello", ",", " 世界", "!"], delay: Duration = .milliseconds(1), rows: [ModelRow] = ModelPickerTests.rows) {
        self.tokens = tokens; self.delay = delay; self.rows = rows
    }

    var lastRequest: ChatRequest? { lock.withLock { requests.last } }

    func models() async -> [ModelRow] { rows }

    func load(_ model: ModelRow) -> AsyncStream<BackendEvent> {
        AsyncStream { c in
            c.yield(.loadProgress(0.5))
            c.yield(.modelLoaded(LoadedModel(row: model, contextSize: 2048, threads: 2, fileBytes: model.sizeBytes)))
            c.finish()
        }
    }

    func generate(_ request: ChatRequest) -> AsyncStream<BackendEvent> {
        lock.withLock { requests.append(request); stopped = false }
        let tokens = self.tokens, delay = self.delay
        return AsyncStream { c in
            let task = Task {
                c.yield(.metrics(LiveMetrics(promptTPS: 300, timeToFirstToken: 0.05, contextUsed: 20)))
                var n = 0
                for t in tokens {
                    if self.isStopped || Task.isCancelled { break }
                    try? await Task.sleep(for: delay)
                    c.yield(.token(t, logProb: -0.5))
                    n += 1
                    c.yield(.metrics(LiveMetrics(generationTPS: 40, contextUsed: 20 + n, rssBytes: 100 << 20)))
                }
                c.yield(.finished(ReplySummary(tokens: n, seconds: Double(n) / 40, stopped: self.isStopped)))
                c.finish()
            }
            c.onTermination = { _ in task.cancel() }
        }
    }

    private(set) var swaps: [(ModelRow, ChatRequest)] = []
    private(set) var comparisons: [(ChatRequest, [ModelRow])] = []

    func swapLevel(_ level: ModelRow, conversation: ChatRequest) -> AsyncStream<BackendEvent> {
        lock.withLock { swaps.append((level, conversation)) }
        return AsyncStream { c in
            c.yield(.levelSwapped(LoadedModel(row: level, contextSize: 2048, threads: 2), seconds: 0.004, reused: true))
            c.yield(.prefillProgress(done: 10, total: 20))
            c.yield(.prefillProgress(done: 20, total: 20))
            c.yield(.prefilled(tokens: 20, seconds: 0.05))
            c.yield(.finished(ReplySummary(tokens: 0, seconds: 0)))
            c.finish()
        }
    }

    func compare(_ request: ChatRequest, levels: [ModelRow]) -> AsyncStream<BackendEvent> {
        lock.withLock { comparisons.append((request, levels)); requests.append(request) }
        let tokens = self.tokens
        return AsyncStream { c in
            for (i, l) in levels.enumerated() {
                c.yield(.compareStarted(column: i, level: l.level))
                for t in tokens { c.yield(.compareToken(column: i, t)) }
                c.yield(.compareColumnFinished(column: i, CompareColumnStats(tokens: tokens.count, tokensPerSecond: 50 - Double(10 * i),
                                                                            mappedBytes: 100 << 20, residentBytes: 300 << 20)))
            }
            for i in levels.indices.dropFirst() {
                c.yield(.compareQuality(column: i, CompareQuality(reference: "m:" + levels[0].level, perplexity: 1.5 + Double(i),
                                                                  meanKLD: 0.01 * Double(i), sameTop: 1 - 0.1 * Double(i))))
            }
            c.yield(.finished(ReplySummary(tokens: tokens.count, seconds: 0.1, level: levels.first?.level)))
            c.finish()
        }
    }

    private(set) var appliedSettings: [ChatSettings] = []
    /// The context the fake model has (F5 changes it, as a reload would).
    private var context = 2048

    func applySettings(_ settings: ChatSettings, model: ModelRow?, conversation: ChatRequest) -> AsyncStream<BackendEvent> {
        let reload: Int? = lock.withLock {
            appliedSettings.append(settings)
            let want = settings.contextLength ?? 2048
            guard want != context, model != nil else { return nil }
            context = want
            return want
        }
        return AsyncStream { c in
            if let reload, let model {
                c.yield(.contextChanged(LoadedModel(row: model, contextSize: reload, threads: 2)))
                c.yield(.prefilled(tokens: conversation.turns.count, seconds: 0.01))
                c.yield(.finished(ReplySummary(tokens: 0, seconds: 0)))
            }
            c.finish()
        }
    }

    var isStopped: Bool { lock.withLock { stopped } }
    func stop() async { lock.withLock { stopped = true } }
}

/// Pumps the controller until `done` holds (or fails the test after `timeout` seconds).
func waitUntil(_ c: AppController, timeout: Double = 5, file: StaticString = #filePath, line: UInt = #line,
               _ done: (AppState) -> Bool) async throws {
    let deadline = Date().addingTimeInterval(timeout)
    while !done(c.state) {
        c.pump()
        if Date() > deadline { XCTFail("timed out", file: file, line: line); return }
        try await Task.sleep(for: .milliseconds(2))
    }
}
