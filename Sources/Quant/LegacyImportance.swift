// Importance-weighted quantization of the legacy 32-weight formats (ggml's
// `quantize_row_q4_0_impl` ... `quantize_row_q5_1_impl`): each block's weights are
// imatrix * sqrt(sigma^2 + x^2) with sigma^2 over the whole row; without weights the reference
// quantizers run, as in ggml. `count` is one row.

extension Q4_0: WeightedBlockFormat {
    static func quantize(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ count: Int,
                         weights qw: UnsafePointer<Float>?) {
        guard let qw else { quantize(src, dst, count); return }
        let out = mbytes(dst)
        let sigma2 = rowSigma2(src, count)
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 32) { wbuf in
        withUnsafeTemporaryAllocation(of: Int8.self, capacity: 32) { lbuf in
            let weight = wbuf.baseAddress!, L = lbuf.baseAddress!
            for ib in 0..<(count / 32) {
                let xb = src + 32 * ib, b = out + ib * typeSize
                for j in 0..<32 { weight[j] = qw[32 * ib + j] * (sigma2 + xb[j] * xb[j]).squareRoot() }
                let d = makeQxQuantsWeighted(32, 8, xb, L, weight)
                b.storeU16(floatToFP16(d), 0)
                for j in 0..<16 { b[2 + j] = UInt8(bitPattern: L[j]) | UInt8(bitPattern: L[j + 16]) << 4 }
            }
        }
        }
    }
}

extension Q5_0: WeightedBlockFormat {
    static func quantize(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ count: Int,
                         weights qw: UnsafePointer<Float>?) {
        guard let qw else { quantize(src, dst, count); return }
        let out = mbytes(dst)
        let sigma2 = rowSigma2(src, count)
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 32) { wbuf in
        withUnsafeTemporaryAllocation(of: Int8.self, capacity: 32) { lbuf in
            let weight = wbuf.baseAddress!, L = lbuf.baseAddress!
            for ib in 0..<(count / 32) {
                let xb = src + 32 * ib, b = out + ib * typeSize
                for j in 0..<32 { weight[j] = qw[32 * ib + j] * (sigma2 + xb[j] * xb[j]).squareRoot() }
                let d = makeQxQuantsWeighted(32, 16, xb, L, weight)
                b.storeU16(floatToFP16(d), 0)
                storeQ5Levels(L.withMemoryRebound(to: UInt8.self, capacity: 32) { $0 }, qh: b + 2, qs: b + 6)
            }
        }
        }
    }
}

extension Q4_1: WeightedBlockFormat {
    static func quantize(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ count: Int,
                         weights qw: UnsafePointer<Float>?) {
        guard let qw else { quantize(src, dst, count); return }
        let out = mbytes(dst)
        let sigma2 = rowSigma2(src, count)
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 32) { wbuf in
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64) { lbuf in
            let weight = wbuf.baseAddress!, L = lbuf.baseAddress!, Laux = L + 32
            for ib in 0..<(count / 32) {
                let xb = src + 32 * ib, b = out + ib * typeSize
                for j in 0..<32 { weight[j] = qw[32 * ib + j] * (sigma2 + xb[j] * xb[j]).squareRoot() }
                var min: Float = 0
                let d = makeQkx3Quants(32, 15, xb, weight, L, &min, Laux, rmin: -0.9, rdelta: 0.05, nstep: 36)
                b.storeU16(floatToFP16(d), 0)
                b.storeU16(floatToFP16(-min), 2)
                for j in 0..<16 { b[4 + j] = L[j] | L[j + 16] << 4 }
            }
        }
        }
    }
}

extension Q5_1: WeightedBlockFormat {
    static func quantize(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ count: Int,
                         weights qw: UnsafePointer<Float>?) {
        guard let qw else { quantize(src, dst, count); return }
        let out = mbytes(dst)
        let sigma2 = rowSigma2(src, count)
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 32) { wbuf in
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64) { lbuf in
            let weight = wbuf.baseAddress!, L = lbuf.baseAddress!, Laux = L + 32
            for ib in 0..<(count / 32) {
                let xb = src + 32 * ib, b = out + ib * typeSize
                for j in 0..<32 { weight[j] = qw[32 * ib + j] * (sigma2 + xb[j] * xb[j]).squareRoot() }
                var min: Float = 0
                let d = makeQkx3Quants(32, 31, xb, weight, L, &min, Laux, rmin: -0.9, rdelta: 0.05, nstep: 36)
                b.storeU16(floatToFP16(d), 0)
                b.storeU16(floatToFP16(-min), 2)
                storeQ5Levels(L, qh: b + 4, qs: b + 8)
            }
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
