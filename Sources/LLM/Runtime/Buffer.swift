#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A 64-byte aligned, zero-filled scratch allocation of `count` elements, owned by whoever keeps it.
///
/// Scratch and cache memory is allocated once when a session is created; the forward pass only
/// reads and writes these buffers. Buffers of a megabyte or more are anonymous mappings: the
/// kernel hands out zero pages as they are first touched, so a KV cache sized for 4,096 tokens
/// or a logits buffer for 32 rows of a 262k vocabulary costs resident memory only as it is used.
final class ScratchBuffer<Element>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Element>
    let count: Int
    private let mappedBytes: Int   // 0 when heap-allocated or a view
    /// The buffer this one is a part of (kept alive; nothing to free here).
    private let parent: ScratchBuffer<Element>?

    static var mapThreshold: Int { 1 << 20 }

    init(count: Int) {
        self.count = max(count, 1)
        let bytes = self.count * MemoryLayout<Element>.stride
        var raw: UnsafeMutableRawPointer? = nil
        var mapped = 0
        if bytes >= Self.mapThreshold {
            let m = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
            if let m, m != MAP_FAILED { raw = m; mapped = bytes }
        }
        if raw == nil {
            let r = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
            r.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
            raw = r
        }
        mappedBytes = mapped
        parent = nil
        pointer = raw!.bindMemory(to: Element.self, capacity: self.count)
    }

    /// Elements `offset ..< offset + count` of `parent`, for buffers whose lifetimes do not overlap.
    init(viewing parent: ScratchBuffer<Element>, offset: Int, count: Int) {
        precondition(offset >= 0 && count >= 0 && offset + count <= parent.count, "view out of its buffer")
        self.parent = parent
        self.count = count
        mappedBytes = 0
        pointer = parent.pointer + offset
    }

    deinit {
        if parent != nil { return }
        if mappedBytes > 0 {
            munmap(UnsafeMutableRawPointer(pointer), mappedBytes)
        } else {
            UnsafeMutableRawPointer(pointer).deallocate()
        }
    }

    var byteCount: Int { count * MemoryLayout<Element>.stride }
}
