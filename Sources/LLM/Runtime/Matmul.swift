import COpenBLAS
import GGUF

/// `Y = X W^T` for a batch of activation rows, split by output rows across the thread pool.
///
/// Paths, chosen per call:
/// - F32 weights: `cblas_sgemm` on each thread's slice of rows, straight from the mapping.
/// - Block formats, few tokens (`tokens < tileThreshold`): the activations are quantized once
///   to the weight's `vecDotType` (as ggml does), then every weight row is dotted with every
///   token (rows outer, tokens inner, so a row is read from memory once).
/// - F16 weights, and block formats with many tokens: each thread dequantizes `tileRows` rows
///   into its own tile and multiplies the tile with `cblas_sgemm`.
///
/// OpenBLAS runs single-threaded inside our workers.
final class MatmulEngine: @unchecked Sendable {
    let pool: ThreadPool
    /// Largest number of activation rows per call.
    let maxTokens: Int
    /// Largest activation width (weight `cols`).
    let maxCols: Int
    /// Rows dequantized per tile on the BLAS path.
    static let tileRows = 64
    /// Batches at least this large use dequantize-tile + sgemm for block formats.
    var tileThreshold: Int = 16

    /// Quantized activations: `maxTokens` rows of up to `maxCols` elements in any vec-dot format.
    private let quantized: ScratchBuffer<UInt8>
    /// Per-thread dequantized tiles: (threads, tileRows, maxCols).
    private let tiles: ScratchBuffer<Float>

    init(pool: ThreadPool, maxTokens: Int, maxCols: Int) {
        self.pool = pool
        self.maxTokens = maxTokens
        self.maxCols = maxCols
        // Widest activation format: Q8_K, 292 bytes per 256 (< 1.2 bytes per element); Q8_1 is
        // 36 per 32. Budget 40 bytes per 32 elements, plus one block of slack per row.
        quantized = ScratchBuffer(count: maxTokens * ((maxCols / 32 + 1) * 40 + 292))
        tiles = ScratchBuffer(count: pool.threadCount * Self.tileRows * maxCols)
        openblas_set_num_threads(1)
    }

    /// Bytes of one activation row of `cols` elements in format `type`.
    @inline(__always) private func activationRowBytes(_ type: GGMLType, _ cols: Int) -> Int {
        (cols + type.blockSize - 1) / type.blockSize * type.typeSize
    }

    /// `y[t * ldy + r] = dot(W[r, :], x[t * ldx + :])` for `t < tokens`, `r < W.rows`.
    /// x: (tokens, ldx >= W.cols); y: (tokens, ldy >= W.rows).
    func multiply(_ w: WeightMatrix, _ x: UnsafePointer<Float>, ldx: Int? = nil,
                  _ y: UnsafeMutablePointer<Float>, ldy: Int? = nil, tokens: Int) {
        precondition(tokens <= maxTokens && w.cols <= maxCols, "matmul scratch too small")
        let ldx = ldx ?? w.cols, ldy = ldy ?? w.rows
        if w.type == .f32 {
            sgemmDirect(w, x, ldx, y, ldy, tokens)
        } else if let vdt = w.kernel.vecDotType, let q = w.kernel.quantizeActivations, let dot = w.kernel.vecDot,
                  tokens < tileThreshold {
            vecDotPath(w, x, ldx, y, ldy, tokens, vdt, q, dot)
        } else {
            tiledPath(w, x, ldx, y, ldy, tokens)
        }
    }

    private func sgemmDirect(_ w: WeightMatrix, _ x: UnsafePointer<Float>, _ ldx: Int,
                             _ y: UnsafeMutablePointer<Float>, _ ldy: Int, _ tokens: Int) {
        let wp = w.data.assumingMemoryBound(to: Float.self)
        pool.run { part, parts in
            let r = ThreadPool.slice(w.rows, part: part, of: parts, align: 16)
            guard !r.isEmpty else { return }
            if tokens == 1 {
                cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(r.count), Int32(w.cols), 1,
                            wp + r.lowerBound * w.cols, Int32(w.cols), x, 1, 0, y + r.lowerBound, 1)
            } else {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(tokens), Int32(r.count), Int32(w.cols),
                            1, x, Int32(ldx), wp + r.lowerBound * w.cols, Int32(w.cols),
                            0, y + r.lowerBound, Int32(ldy))
            }
        }
    }

    private func tiledPath(_ w: WeightMatrix, _ x: UnsafePointer<Float>, _ ldx: Int,
                           _ y: UnsafeMutablePointer<Float>, _ ldy: Int, _ tokens: Int) {
        let tileBase = tiles.pointer, tileRows = Self.tileRows, maxCols = maxCols
        pool.run { part, parts in
            let r = ThreadPool.slice(w.rows, part: part, of: parts, align: 16)
            let tile = tileBase + part * tileRows * maxCols   // (tileRows, cols)
            var r0 = r.lowerBound
            while r0 < r.upperBound {
                let n = min(tileRows, r.upperBound - r0)
                for i in 0..<n { w.dequantizeRow(r0 + i, into: tile + i * w.cols) }
                if tokens == 1 {
                    cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(n), Int32(w.cols), 1,
                                tile, Int32(w.cols), x, 1, 0, y + r0, 1)
                } else {
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(tokens), Int32(n), Int32(w.cols),
                                1, x, Int32(ldx), tile, Int32(w.cols), 0, y + r0, Int32(ldy))
                }
                r0 += n
            }
        }
    }

    private func vecDotPath(_ w: WeightMatrix, _ x: UnsafePointer<Float>, _ ldx: Int,
                            _ y: UnsafeMutablePointer<Float>, _ ldy: Int, _ tokens: Int,
                            _ vdt: GGMLType, _ quantize: (UnsafePointer<Float>, UnsafeMutableRawPointer, Int) -> Void,
                            _ dot: (Int, UnsafeRawPointer, UnsafeRawPointer) -> Float) {
        let qrow = activationRowBytes(vdt, w.cols)
        let qbase = UnsafeMutableRawPointer(quantized.pointer)
        if tokens == 1 {
            quantize(x, qbase, w.cols)
        } else {
            pool.run { part, parts in
                for t in ThreadPool.slice(tokens, part: part, of: parts) { quantize(x + t * ldx, qbase + t * qrow, w.cols) }
            }
        }
        let cols = w.cols
        pool.run { part, parts in
            let r = ThreadPool.slice(w.rows, part: part, of: parts, align: 4)
            for row in r {
                let wr = w.row(row)
                for t in 0..<tokens { y[t * ldy + row] = dot(cols, wr, qbase + t * qrow) }
            }
        }
    }
}
