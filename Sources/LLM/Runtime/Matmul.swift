import COpenBLAS
import GGUF

/// Activation applied by `MatmulEngine.multiplyGated` to `gate` (then multiplied by `up`).
enum GatedActivation { case silu, gelu }

/// `Y = X W^T` for a batch of activation rows, split by output rows across the thread pool.
///
/// Paths, chosen per weight:
/// - F32 weights: `cblas_sgemm` on each thread's slice of rows, straight from the mapping.
/// - Block formats, few tokens (`tokens < tileThreshold`): the activations are quantized once
///   to the weight's `vecDotType` (as ggml does), then each thread runs its block of weight
///   rows against every token in one C call (`QuantKernel.dotMatrix`: rows outer, tokens inner,
///   so a row is read from memory once).
/// - F16 weights, and block formats with many tokens: each thread dequantizes `tileRows` rows
///   into its own tile and multiplies the tile with `cblas_sgemm`.
///
/// Several weights that read the same input (Q, K, V; gate and up) run in one parallel region,
/// so a layer waits at 5 barriers instead of 8. OpenBLAS runs single-threaded inside our workers.
final class MatmulEngine: ParallelWork, @unchecked Sendable {
    let pool: ThreadPool
    /// Largest number of activation rows per call.
    let maxTokens: Int
    /// Largest activation width (weight `cols`).
    let maxCols: Int
    /// Rows dequantized per tile on the BLAS path.
    static let tileRows = 64
    /// Batches at least this large use dequantize-tile + sgemm for block formats. Below it the
    /// activations are quantized as llama.cpp does, so a prompt chunk of fewer tokens gives
    /// llama.cpp's logits (bit for bit on Q4_1 files, see ModelRealTests); long prompts take the
    /// faster BLAS path.
    static let defaultTileThreshold = 64
    var tileThreshold: Int = MatmulEngine.defaultTileThreshold

    /// Quantized activations: 3 slots (one per distinct `vecDotType` of a fused group) of
    /// `maxTokens` rows of up to `maxCols` elements in any vec-dot format.
    private let quantized: ScratchBuffer<UInt8>
    private let slotBytes: Int
    /// Per-thread dequantized tiles: (threads, tileRows, maxCols).
    private let tiles: ScratchBuffer<Float>

    // The current parallel region (`ThreadPool.run(self)` reads these; see `work`).
    private enum Region { case single, qkv, gated }
    private var region = Region.single
    private var wa: WeightMatrix?, wb: WeightMatrix?, wc: WeightMatrix?
    private var ya: UnsafeMutablePointer<Float>?, yb: UnsafeMutablePointer<Float>?, yc: UnsafeMutablePointer<Float>?
    private var pa = Prepared(), pb = Prepared(), pc = Prepared()
    private var rx: UnsafePointer<Float>?
    private var rldx = 0, rldy = 0, rtokens = 0, ralign = 16
    private var ractivation = GatedActivation.silu

    /// The element-wise kernels of the gated activation (the session's `ForwardKernels`).
    private let simd: Bool
    /// Sees each weight's input before it is multiplied (`InferenceSession.matmulInputs`); nil
    /// costs one test per matmul.
    var inputObserver: MatmulInputObserver?

    init(pool: ThreadPool, maxTokens: Int, maxCols: Int, kernels: ForwardKernels = .best) {
        self.pool = pool
        simd = kernels == .simd
        self.maxTokens = maxTokens
        self.maxCols = maxCols
        // Widest activation format: Q8_K, 292 bytes per 256 (< 1.2 bytes per element); Q8_1 is
        // 36 per 32; F16 2 per element. Budget 2 bytes per element, plus one block of slack per row.
        slotBytes = (maxTokens * ((maxCols / 32 + 1) * 64 + 292) + 63) / 64 * 64
        quantized = ScratchBuffer(count: 3 * slotBytes)
        tiles = ScratchBuffer(count: pool.threadCount * Self.tileRows * maxCols)
        openblas_set_num_threads(1)
    }

    /// Bytes of one activation row of `cols` elements in format `type`.
    @inline(__always) private func activationRowBytes(_ type: GGMLType, _ cols: Int) -> Int {
        (cols + type.blockSize - 1) / type.blockSize * type.typeSize
    }

    /// Quantized activations for one weight of a group: where they are and their row stride.
    private struct Prepared {
        var q: UnsafeRawPointer? = nil
        var qrow = 0
        var type: GGMLType? = nil
    }

    /// Quantizes `x` for `w` when `w` takes the vec-dot path, reusing `earlier` slots of the same
    /// `vecDotType` (the weights of a group share `x`).
    private func prepare(_ w: WeightMatrix, _ x: UnsafePointer<Float>, _ ldx: Int, _ tokens: Int, slot: Int,
                         _ e1: Prepared = Prepared(), _ e2: Prepared = Prepared()) -> Prepared {
        guard w.type != .f32, tokens < tileThreshold, let vdt = w.kernel.vecDotType,
              let quantize = w.kernel.quantizeActivations, w.kernel.vecDot != nil else { return Prepared() }
        if e1.type == vdt { return e1 }
        if e2.type == vdt { return e2 }
        let qrow = activationRowBytes(vdt, w.cols)
        let base = UnsafeMutableRawPointer(quantized.pointer) + slot * slotBytes
        for t in 0..<tokens { quantize(x + t * ldx, base + t * qrow, w.cols) }
        return Prepared(q: UnsafeRawPointer(base), qrow: qrow, type: vdt)
    }

    /// `y[t * ldy + r] = dot(W[r, :], x[t * ldx + :])` for `t < tokens`, `r < W.rows`.
    /// x: (tokens, ldx >= W.cols); y: (tokens, ldy >= W.rows).
    func multiply(_ w: WeightMatrix, _ x: UnsafePointer<Float>, ldx: Int? = nil,
                  _ y: UnsafeMutablePointer<Float>, ldy: Int? = nil, tokens: Int) {
        precondition(tokens <= maxTokens && w.cols <= maxCols, "matmul scratch too small")
        let ldx = ldx ?? w.cols, ldy = ldy ?? w.rows
        if let o = inputObserver { o(w.name, x, ldx, w.cols, tokens) }
        pa = prepare(w, x, ldx, tokens, slot: 0)
        region = .single
        wa = w; ya = y; rx = x; rldx = ldx; rldy = ldy; rtokens = tokens
        ralign = pa.q == nil ? 16 : 4
        pool.run(self)
    }

    /// Three weights of the same width on one input, in one parallel region (Q, K, V).
    /// x: (tokens, cols); ya: (tokens, a.rows), and so on.
    func multiply(_ a: WeightMatrix, _ ya: UnsafeMutablePointer<Float>, _ b: WeightMatrix, _ yb: UnsafeMutablePointer<Float>,
                  _ c: WeightMatrix, _ yc: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, tokens: Int) {
        precondition(tokens <= maxTokens && a.cols <= maxCols && a.cols == b.cols && a.cols == c.cols, "matmul scratch too small")
        let ldx = a.cols
        if let o = inputObserver { for w in [a, b, c] { o(w.name, x, ldx, w.cols, tokens) } }
        pa = prepare(a, x, ldx, tokens, slot: 0)
        pb = prepare(b, x, ldx, tokens, slot: 1, pa)
        pc = prepare(c, x, ldx, tokens, slot: 2, pa, pb)
        region = .qkv
        wa = a; wb = b; wc = c; self.ya = ya; self.yb = yb; self.yc = yc
        rx = x; rldx = ldx; rtokens = tokens
        pool.run(self)
    }

    /// `gate = act(gate · x) * (up · x)` in one parallel region: each thread computes the same
    /// rows of both and applies the activation to them. x: (tokens, cols); gate, up: (tokens, rows).
    func multiplyGated(gate g: WeightMatrix, _ yg: UnsafeMutablePointer<Float>, up u: WeightMatrix, _ yu: UnsafeMutablePointer<Float>,
                       x: UnsafePointer<Float>, tokens: Int, activation: GatedActivation) {
        precondition(tokens <= maxTokens && g.cols <= maxCols && g.cols == u.cols && g.rows == u.rows, "matmul scratch too small")
        let ldx = g.cols
        if let o = inputObserver { o(g.name, x, ldx, g.cols, tokens); o(u.name, x, ldx, u.cols, tokens) }
        pa = prepare(g, x, ldx, tokens, slot: 0)
        pb = prepare(u, x, ldx, tokens, slot: 1, pa)
        region = .gated
        wa = g; wb = u; ya = yg; yb = yu
        rx = x; rldx = ldx; rtokens = tokens; ractivation = activation
        pool.run(self)
    }

    func work(part: Int, of parts: Int) {
        let x = rx!, ldx = rldx, tokens = rtokens
        switch region {
        case .single:
            let w = wa!
            let r = ThreadPool.slice(w.rows, part: part, of: parts, align: ralign)
            compute(w, r, x, ldx, ya!, rldy, tokens, pa, part)
        case .qkv:
            let a = wa!, b = wb!, c = wc!
            let total = a.rows + b.rows + c.rows
            let r = ThreadPool.slice(total, part: part, of: parts, align: 16)
            let ra = r.clamped(to: 0..<a.rows)
            let rb = r.clamped(to: a.rows..<(a.rows + b.rows))
            let rc = r.clamped(to: (a.rows + b.rows)..<total)
            compute(a, ra, x, ldx, ya!, a.rows, tokens, pa, part)
            compute(b, (rb.lowerBound - a.rows)..<(rb.upperBound - a.rows), x, ldx, yb!, b.rows, tokens, pb, part)
            compute(c, (rc.lowerBound - a.rows - b.rows)..<(rc.upperBound - a.rows - b.rows), x, ldx, yc!, c.rows, tokens, pc, part)
        case .gated:
            let g = wa!, u = wb!, yg = ya!, yu = yb!, n = g.rows
            let r = ThreadPool.slice(n, part: part, of: parts, align: 16)
            guard !r.isEmpty else { return }
            compute(g, r, x, ldx, yg, n, tokens, pa, part)
            compute(u, r, x, ldx, yu, n, tokens, pb, part)
            for t in 0..<tokens {
                let gp = yg + t * n + r.lowerBound, up = yu + t * n + r.lowerBound
                switch ractivation {
                case .silu: Ops.swiglu(gp, up, r.count, simd: simd)
                case .gelu: Ops.geglu(gp, up, r.count, simd: simd)
                }
            }
        }
    }

    /// Rows `r` of `w` for all tokens, on worker `part`.
    @inline(__always)
    private func compute(_ w: WeightMatrix, _ r: Range<Int>, _ x: UnsafePointer<Float>, _ ldx: Int,
                         _ y: UnsafeMutablePointer<Float>, _ ldy: Int, _ tokens: Int, _ p: Prepared, _ part: Int) {
        guard !r.isEmpty else { return }
        if w.type == .f32 {
            let wp = w.data.assumingMemoryBound(to: Float.self) + r.lowerBound * w.cols
            if tokens == 1 {
                cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(r.count), Int32(w.cols), 1,
                            wp, Int32(w.cols), x, 1, 0, y + r.lowerBound, 1)
            } else {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(tokens), Int32(r.count), Int32(w.cols),
                            1, x, Int32(ldx), wp, Int32(w.cols), 0, y + r.lowerBound, Int32(ldy))
            }
        } else if let q = p.q {
            if let k = w.kernel.quant {
                k.dotMatrix(count: w.cols, weights: w.row(r.lowerBound), rowStride: w.rowBytes, rows: r.count,
                            activations: q, activationStride: p.qrow, tokens: tokens, into: y + r.lowerBound, outStride: ldy)
            } else if let dot = w.kernel.vecDot {
                for row in r {
                    let wr = w.row(row)
                    for t in 0..<tokens { y[t * ldy + row] = dot(w.cols, wr, q + t * p.qrow) }
                }
            }
        } else {
            let tileRows = Self.tileRows
            let tile = tiles.pointer + part * tileRows * maxCols   // (tileRows, cols)
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
}
