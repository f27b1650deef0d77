#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The process's memory as Linux reports it.
public struct ProcessMemory: Sendable, Codable, Equatable {
    /// Resident set size now, bytes.
    public var resident: Int
    /// Peak resident set size (`VmHWM`), bytes.
    public var peakResident: Int

    /// Reads `/proc/self/status`; zeros where it cannot.
    public static func current() -> ProcessMemory {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else {
            return ProcessMemory(resident: 0, peakResident: 0)
        }
        func kib(_ key: String) -> Int {
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(key) }) else { return 0 }
            return (Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "0") ?? 0) * 1024
        }
        return ProcessMemory(resident: kib("VmRSS:"), peakResident: kib("VmHWM:"))
    }

    /// Returns freed heap pages to the system (glibc's `malloc_trim`), so transient allocations
    /// made while loading a model do not stay resident. A no-op where it is unavailable.
    public static func releaseFreedHeap() {
        #if canImport(Glibc)
        typealias Trim = @convention(c) (Int) -> Int32
        if let f = dlsym(nil, "malloc_trim") { _ = unsafeBitCast(f, to: Trim.self)(0) }
        #endif
    }
}
