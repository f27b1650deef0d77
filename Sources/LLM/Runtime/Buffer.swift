/// A 64-byte aligned scratch allocation of `count` elements, owned by whoever keeps it.
///
/// Scratch and cache memory is allocated once when a session is created; the forward pass only
/// reads and writes these buffers.
final class ScratchBuffer<Element>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Element>
    let count: Int

    init(count: Int, zeroed: Bool = true) {
        self.count = max(count, 1)
        let raw = UnsafeMutableRawPointer.allocate(byteCount: self.count * MemoryLayout<Element>.stride, alignment: 64)
        if zeroed { raw.initializeMemory(as: UInt8.self, repeating: 0, count: self.count * MemoryLayout<Element>.stride) }
        pointer = raw.bindMemory(to: Element.self, capacity: self.count)
    }

    deinit { UnsafeMutableRawPointer(pointer).deallocate() }

    var byteCount: Int { count * MemoryLayout<Element>.stride }
}
