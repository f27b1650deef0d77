import CKernels

/// Element type of the KV cache. llama.cpp's default (and the fixtures') is F16.
public enum KVCacheType: String, Sendable {
    case f32, f16

    /// Bytes of one element.
    public var elementSize: Int { self == .f16 ? 2 : 4 }
}

/// Keys and values of every layer, sized once for the session's context length.
///
/// Position `p` lives in slot `p % capacity` of its layer. Global layers hold the whole context
/// (`capacity == contextLength`, so the slot is the position); sliding-window layers hold only
/// `window + maxBatch` slots, a ring the window slides over.
public final class KVCache: @unchecked Sendable {
    public let type: KVCacheType
    /// Positions the cache can hold.
    public let contextLength: Int
    /// Positions currently filled (the next token goes at `count`).
    public internal(set) var count: Int = 0

    final class Layer {
        /// Slots in this layer's ring.
        let capacity: Int
        /// Sliding window (keys a query sees, itself included), nil for global attention.
        let window: Int?
        /// Elements in one slot of keys: nKV * headDim, and of values: nKV * valueDim.
        let keyWidth: Int, valueWidth: Int
        /// keys: (capacity, nKV * headDim); values: (capacity, nKV * valueDim); F32 or F16 bits.
        let keys: UnsafeMutableRawPointer
        let values: UnsafeMutableRawPointer
        let keyStorage: ScratchBuffer<UInt8>, valueStorage: ScratchBuffer<UInt8>

        init(capacity: Int, window: Int?, keyWidth: Int, valueWidth: Int, elementSize: Int) {
            self.capacity = capacity; self.window = window
            self.keyWidth = keyWidth; self.valueWidth = valueWidth
            keyStorage = ScratchBuffer(count: capacity * keyWidth * elementSize)
            valueStorage = ScratchBuffer(count: capacity * valueWidth * elementSize)
            keys = UnsafeMutableRawPointer(keyStorage.pointer)
            values = UnsafeMutableRawPointer(valueStorage.pointer)
        }
    }

    let layers: [Layer]
    /// Tokens per forward micro-batch the sliding rings were sized for.
    let maxBatch: Int

    init(configuration c: ModelConfiguration, contextLength: Int, maxBatch: Int, type: KVCacheType) {
        self.type = type
        self.contextLength = contextLength
        self.maxBatch = maxBatch
        layers = (0..<c.layerCount).map { il in
            Layer(capacity: Self.capacity(ofLayer: il, configuration: c, contextLength: contextLength, maxBatch: maxBatch),
                  window: c.window(layer: il), keyWidth: c.headCountKV * c.headDim,
                  valueWidth: c.headCountKV * c.valueDim, elementSize: type.elementSize)
        }
    }

    // MARK: - Sizing (the one formula)

    /// Slots of layer `il`: the whole context, or `window + maxBatch` for a sliding-window layer.
    static func capacity(ofLayer il: Int, configuration c: ModelConfiguration, contextLength: Int, maxBatch: Int) -> Int {
        c.window(layer: il).map { min(contextLength, $0 + maxBatch) } ?? contextLength
    }

    /// Bytes a cache of `contextLength` positions would take, without allocating it (in
    /// `Double`: a file may claim billions of positions).
    public static func expectedByteCount(configuration c: ModelConfiguration, contextLength: Int, maxBatch: Int,
                                         type: KVCacheType = .f16) -> Double {
        var bytes = 0.0
        for il in 0 ..< c.layerCount {
            let slots = Double(capacity(ofLayer: il, configuration: c, contextLength: contextLength, maxBatch: maxBatch))
            bytes += slots * Double(c.headCountKV) * Double(c.headDim + c.valueDim) * Double(type.elementSize)
        }
        return bytes
    }

    /// Bytes held by keys and values.
    public var byteCount: Int { layers.reduce(0) { $0 + $1.keyStorage.byteCount + $1.valueStorage.byteCount } }

    /// Forgets every position.
    public func reset() { count = 0 }

    /// Keeps the first `n` positions, so generation can resume from there. Returns false (and
    /// resets) when a sliding-window ring has already overwritten keys position `n` still needs.
    @discardableResult
    public func truncate(to n: Int) -> Bool {
        guard n < count else { return true }
        for l in layers where l.window != nil {
            // Slots of positions [n - window + 1, n) must not have been reused by positions >= n.
            if count - l.capacity > n - l.window! { count = 0; return false }
        }
        count = max(0, n)
        return true
    }

    /// Stores `tokens` rows of keys and values (F32) at positions `start...`.
    /// k: (tokens, keyWidth); v: (tokens, valueWidth).
    /// `simd`: convert to F16 with the F16C kernel (the session's `ForwardKernels`).
    func store(layer il: Int, start: Int, tokens: Int, k: UnsafePointer<Float>, v: UnsafePointer<Float>, simd: Bool) {
        let l = layers[il]
        for t in 0..<tokens {
            let slot = (start + t) % l.capacity
            switch type {
            case .f32:
                (l.keys.assumingMemoryBound(to: Float.self) + slot * l.keyWidth).update(from: k + t * l.keyWidth, count: l.keyWidth)
                (l.values.assumingMemoryBound(to: Float.self) + slot * l.valueWidth).update(from: v + t * l.valueWidth, count: l.valueWidth)
            case .f16:
                let kd = l.keys.assumingMemoryBound(to: UInt16.self) + slot * l.keyWidth
                let vd = l.values.assumingMemoryBound(to: UInt16.self) + slot * l.valueWidth
                #if arch(x86_64)
                if simd {
                    qt_f32_to_f16_avx2(Int32(l.keyWidth), k + t * l.keyWidth, kd)
                    qt_f32_to_f16_avx2(Int32(l.valueWidth), v + t * l.valueWidth, vd)
                    continue
                }
                #endif
                Half.fromFloat(k + t * l.keyWidth, kd, l.keyWidth)
                Half.fromFloat(v + t * l.valueWidth, vd, l.valueWidth)
            }
        }
    }
}
