import GGUF

/// Gemma 3 (text): embeddings scaled by sqrt(n_embd); per-head q/k RMSNorms; NEOX RoPE;
/// five sliding-window layers (RoPE base 10,000) for every global layer (the file's base and
/// scaling); RMSNorm after attention and after the feed-forward as well as before; GELU-gated
/// feed-forward; queries scaled by 1/sqrt(head size) (1/sqrt(n_embd/n_head) for the 27B);
/// tied output; final logit soft-capping only without sliding window (llama.cpp's `llm_build_gemma3`).
enum Gemma3: ModelFamily {
    static let architecture = "gemma3"

    // MARK: - Gemma 3's constants (llama.cpp's `LLM_ARCH_GEMMA3` hparams, gemma_pytorch)

    /// Every `slidingWindowPattern`-th layer is global; the five before it slide.
    static let slidingWindowPattern = 6
    /// RoPE base of the sliding-window layers.
    static let slidingRopeBase: Float = 10_000
    /// Layers of Gemma 3 27B, the one size whose queries are scaled by n_embd / n_head.
    static let layerCountOf27B = 62

    static func configuration(_ file: GGUFFile) throws(ModelError) -> ModelConfiguration {
        let r = HyperparameterReader(file: file, arch: architecture)
        var c = try r.standard(ropeStyle: .neox)
        c.rmsEpsilon = try r.float("attention.layer_norm_rms_epsilon", default: 1e-6)
        if r.has("attention.sliding_window") {
            let w = try r.int("attention.sliding_window")
            if w > 0 {
                let p = slidingWindowPattern
                c.slidingWindow = .init(size: w, ropeBase: slidingRopeBase, pattern: (0 ..< p).map { $0 < p - 1 })
            }
        }
        // llama.cpp soft-caps the output only in its non-sliding-window gemma3 graph.
        if c.slidingWindow == nil, r.has("final_logit_softcapping") {
            let cap = try r.float("final_logit_softcapping")
            if cap > 0 { c.finalLogitSoftcap = cap }
        }
        c.embeddingScale = Float(c.embeddingLength).squareRoot()
        // gemma_pytorch: query_pre_attn_scalar is n_embd / n_head for the 27B (62 layers),
        // the head size otherwise.
        let qScalar = c.layerCount == layerCountOf27B ? Float(c.embeddingLength / c.headCount) : Float(c.headDim)
        c.attentionScale = 1 / qScalar.squareRoot()
        return c
    }

    static func blocks(_ t: TensorLoader, _ c: ModelConfiguration) throws(ModelError) -> [any TransformerBlock] {
        var blocks: [any TransformerBlock] = []
        for il in 0..<c.layerCount { blocks.append(try Block.load(t, c, layer: il)) }
        return blocks
    }

    private struct Block: TransformerBlock {
        let attnNorm: WeightVector      // (nEmbd)
        let wq: WeightMatrix            // (nHead * headDim rows, nEmbd cols)
        let wk: WeightMatrix            // (nKV * headDim, nEmbd)
        let wv: WeightMatrix            // (nKV * valueDim, nEmbd)
        let qNorm: WeightVector         // (headDim)
        let kNorm: WeightVector         // (headDim)
        let wo: WeightMatrix            // (nEmbd, nHead * valueDim)
        let postAttnNorm: WeightVector  // (nEmbd)
        let ffnNorm: WeightVector       // (nEmbd)
        let ffnGate: WeightMatrix       // (nFF, nEmbd)
        let ffnUp: WeightMatrix         // (nFF, nEmbd)
        let ffnDown: WeightMatrix       // (nEmbd, nFF)
        let postFfwNorm: WeightVector   // (nEmbd)

        static func load(_ t: TensorLoader, _ c: ModelConfiguration, layer il: Int) throws(ModelError) -> Block {
            let p = "blk.\(il)."
            let d = c.embeddingLength
            return Block(
                attnNorm: try t.vector(p + "attn_norm.weight", count: d),
                wq: try t.matrix(p + "attn_q.weight", cols: d, rows: c.headCount * c.headDim),
                wk: try t.matrix(p + "attn_k.weight", cols: d, rows: c.headCountKV * c.headDim),
                wv: try t.matrix(p + "attn_v.weight", cols: d, rows: c.headCountKV * c.valueDim),
                qNorm: try t.vector(p + "attn_q_norm.weight", count: c.headDim),
                kNorm: try t.vector(p + "attn_k_norm.weight", count: c.headDim),
                wo: try t.matrix(p + "attn_output.weight", cols: c.headCount * c.valueDim, rows: d),
                postAttnNorm: try t.vector(p + "post_attention_norm.weight", count: d),
                ffnNorm: try t.vector(p + "ffn_norm.weight", count: d),
                ffnGate: try t.matrix(p + "ffn_gate.weight", cols: d, rows: c.feedForwardLength),
                ffnUp: try t.matrix(p + "ffn_up.weight", cols: d, rows: c.feedForwardLength),
                ffnDown: try t.matrix(p + "ffn_down.weight", cols: c.feedForwardLength, rows: d),
                postFfwNorm: try t.vector(p + "post_ffw_norm.weight", count: d))
        }

        func forward(_ s: ForwardState, layer il: Int) {
            let c = s.configuration, d = c.embeddingLength
            s.rmsNorm(s.hidden, attnNorm, into: s.normed, width: d)
            s.record("attn_norm", il, s.normed, width: d)

            s.engine.multiply(wq, s.q.pointer, wk, s.k.pointer, wv, s.v.pointer, x: s.normed.pointer, tokens: s.tokens)
            s.headNorm(s.q, qNorm, heads: c.headCount)
            s.headNorm(s.k, kNorm, heads: c.headCountKV)
            s.rope(s.q, heads: c.headCount, layer: il)
            s.rope(s.k, heads: c.headCountKV, layer: il)
            s.record("Qcur", il, s.q, width: c.headCount * c.headDim)
            s.record("Kcur", il, s.k, width: c.headCountKV * c.headDim)

            s.attention(layer: il, q: s.q.pointer, k: s.k.pointer, v: s.v.pointer, out: s.attnOut.pointer)
            s.record("kqv_out", il, s.attnOut, width: c.headCount * c.valueDim)
            s.matmul(wo, s.attnOut, s.proj)
            s.rmsNorm(s.proj, postAttnNorm, into: s.proj, width: d)
            s.record("attn_post_norm", il, s.proj, width: d)
            s.residual(s.hidden, s.proj, width: d)
            s.record("sa_out", il, s.hidden, width: d)

            s.rmsNorm(s.hidden, ffnNorm, into: s.normed, width: d)
            s.record("ffn_norm", il, s.normed, width: d)
            s.engine.multiplyGated(gate: ffnGate, s.gate.pointer, up: ffnUp, s.up.pointer, x: s.normed.pointer,
                                     tokens: s.tokens, activation: .gelu)
            s.matmul(ffnDown, s.gate, s.proj)
            s.rmsNorm(s.proj, postFfwNorm, into: s.proj, width: d)
            s.record("ffn_post_norm", il, s.proj, width: d)
            s.residual(s.hidden, s.proj, width: d)
            s.record("l_out", il, s.hidden, width: d)
        }
    }
}
