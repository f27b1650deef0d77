// Importance-weighted quantization of the legacy 32-weight formats (ggml's
// `quantize_row_q4_0_impl` ... `quantize_row_q5_1_impl`): each block's weights are
// imatrix * sqrt(sigma^2 + x^2) with sigma^2 over the whole row; without weights the reference
// quantizers run, as in ggml. `count` is one row.

extension Q4_0: WeightedBlockFormat {
    static func quantize(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ count: Int,
                         weights qw: UnsafePointer<Float>?) {
        guard let qw else { quantize(src, dst, count); return }
        forEachWeightedBlock32(src, dst, count, qw, typeSize: typeSize, levels: Int8.self) { xb, weight, L, b in
            let d = makeQxQuantsWeighted(32, 8, xb, L, weight)
            b.storeU16(floatToFP16(d), 0)
            for j in 0..<16 { b[2 + j] = UInt8(bitPattern: L[j]) | UInt8(bitPattern: L[j + 16]) << 4 }
        }
    }
}

extension Q5_0: WeightedBlockFormat {
    static func quantize(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ count: Int,
                         weights qw: UnsafePointer<Float>?) {
        guard let qw else { quantize(src, dst, count); return }
        forEachWeightedBlock32(src, dst, count, qw, typeSize: typeSize, levels: Int8.self) { xb, weight, L, b in
            let d = makeQxQuantsWeighted(32, 16, xb, L, weight)
            b.storeU16(floatToFP16(d), 0)
            storeQ5Levels(L.withMemoryRebound(to: UInt8.self, capacity: 32) { $0 }, qh: b + 2, qs: b + 6)
        }
    }
}

extension Q4_1: WeightedBlockFormat {
    static func quantize(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ count: Int,
                         weights qw: UnsafePointer<Float>?) {
        guard let qw else { quantize(src, dst, count); return }
        forEachWeightedBlock32(src, dst, count, qw, typeSize: typeSize, levels: UInt8.self) { xb, weight, L, b in
            var min: Float = 0
            let d = makeQkx3Quants(32, 15, xb, weight, L, &min, L + 32, rmin: -0.9, rdelta: 0.05, nstep: 36)
            b.storeU16(floatToFP16(d), 0)
            b.storeU16(floatToFP16(-min), 2)
            for j in 0..<16 { b[4 + j] = L[j] | L[j + 16] << 4 }
        }
    }
}

extension Q5_1: WeightedBlockFormat {
    static func quantize(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ count: Int,
                         weights qw: UnsafePointer<Float>?) {
        guard let qw else { quantize(src, dst, count); return }
        forEachWeightedBlock32(src, dst, count, qw, typeSize: typeSize, levels: UInt8.self) { xb, weight, L, b in
            var min: Float = 0
            let d = makeQkx3Quants(32, 31, xb, weight, L, &min, L + 32, rmin: -0.9, rdelta: 0.05, nstep: 36)
            b.storeU16(floatToFP16(d), 0)
            b.storeU16(floatToFP16(-min), 2)
            storeQ5Levels(L, qh: b + 4, qs: b + 8)
        }
    }
}

// MARK: - Shared block loop

/// Calls `body` on each 32-weight block of one row (`count` weights) with the block's weights
/// `weight[j] = qw[j] * sqrt(sigma^2 + x[j]^2)` (sigma^2 over the whole row), a 64-level scratch
/// `L` (levels in L[0..<32], the Qx_1 search's auxiliary levels in L[32..<64]) and the block's bytes.
@inline(__always)
private func forEachWeightedBlock32<Level>(
    _ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ count: Int, _ qw: UnsafePointer<Float>,
    typeSize: Int, levels: Level.Type,
    _ body: (_ xb: UnsafePointer<Float>, _ weight: UnsafeMutablePointer<Float>,
             _ L: UnsafeMutablePointer<Level>, _ b: UnsafeMutablePointer<UInt8>) -> Void
) {
    let out = mbytes(dst)
    let sigma2 = rowSigma2(src, count)
    withUnsafeTemporaryAllocation(of: Float.self, capacity: 32) { wbuf in
    withUnsafeTemporaryAllocation(of: Level.self, capacity: 64) { lbuf in
        let weight = wbuf.baseAddress!, L = lbuf.baseAddress!
        for ib in 0..<(count / 32) {
            let xb = src + 32 * ib, b = out + ib * typeSize
            for j in 0..<32 { weight[j] = qw[32 * ib + j] * (sigma2 + xb[j] * xb[j]).squareRoot() }
            body(xb, weight, L, b)
        }
    }
    }
}

/// 32 five-bit levels: low nibbles into `qs` (j | j+16 << 4), the fifth bits into the u32 `qh`.
@inline(__always)
private func storeQ5Levels(_ L: UnsafeMutablePointer<UInt8>, qh: UnsafeMutablePointer<UInt8>, qs: UnsafeMutablePointer<UInt8>) {
    var h: UInt32 = 0
    for j in 0..<16 {
        let x0 = L[j], x1 = L[j + 16]
        qs[j] = (x0 & 0x0F) | ((x1 & 0x0F) << 4)
        h |= UInt32((x0 & 0x10) >> 4) << UInt32(j)
        h |= UInt32((x1 & 0x10) >> 4) << UInt32(j + 16)
    }
    qh.storeU32(h, 0)
}
