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
    private let mappedBytes: Int   // 0 when heap-allocated

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
        pointer = raw!.bindMemory(to: Element.self, capacity: self.count)
    }

    deinit {
        if mappedBytes > 0 {
            munmap(UnsafeMutableRawPointer(pointer), mappedBytes)
        } else {
            UnsafeMutableRawPointer(pointer).deallocate()
        }
    }

    var byteCount: Int { count * MemoryLayout<Element>.stride }
}
