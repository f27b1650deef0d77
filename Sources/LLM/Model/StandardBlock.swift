/// The llama-style layer shared by llama, qwen2 and qwen3: pre-norm attention and a SwiGLU
/// feed-forward, with the optional q/k/v biases (qwen2) and per-head q/k RMSNorms (qwen3).
///
///     x = x + Wo · attn(rope(norm_q(Wq·n + bq)), rope(norm_k(Wk·n + bk)), Wv·n + bv),  n = rms(x)·attn_norm
///     x = x + Wdown · (silu(Wgate·m) * Wup·m),                                          m = rms(x)·ffn_norm
struct StandardBlock: TransformerBlock {
    let attnNorm: WeightVector      // (nEmbd)
    let wq: WeightMatrix            // (nHead * headDim rows, nEmbd cols)
    let wk: WeightMatrix            // (nKV * headDim, nEmbd)
    let wv: WeightMatrix            // (nKV * valueDim, nEmbd)
    let bq: WeightVector?           // (nHead * headDim)
    let bk: WeightVector?           // (nKV * headDim)
    let bv: WeightVector?           // (nKV * valueDim)
    let qNorm: WeightVector?        // (headDim)
    let kNorm: WeightVector?        // (headDim)
    let wo: WeightMatrix            // (nEmbd, nHead * valueDim)
    let ffnNorm: WeightVector       // (nEmbd)
    let ffnGate: WeightMatrix       // (nFF, nEmbd)
    let ffnUp: WeightMatrix         // (nFF, nEmbd)
    let ffnDown: WeightMatrix       // (nEmbd, nFF)

    enum Extras { case none, biases, qkNorm }

    static func load(_ t: TensorLoader, _ c: ModelConfiguration, layer il: Int, extras: Extras) throws(ModelError) -> StandardBlock {
        let p = "blk.\(il)."
        let d = c.embeddingLength, qw = c.headCount * c.headDim, kw = c.headCountKV * c.headDim
        let vw = c.headCountKV * c.valueDim
        return StandardBlock(
            attnNorm: try t.vector(p + "attn_norm.weight", count: d),
            wq: try t.matrix(p + "attn_q.weight", cols: d, rows: qw),
            wk: try t.matrix(p + "attn_k.weight", cols: d, rows: kw),
            wv: try t.matrix(p + "attn_v.weight", cols: d, rows: vw),
            bq: extras == .biases ? try t.vector(p + "attn_q.bias", count: qw) : try t.optionalVector(p + "attn_q.bias", count: qw),
            bk: extras == .biases ? try t.vector(p + "attn_k.bias", count: kw) : try t.optionalVector(p + "attn_k.bias", count: kw),
            bv: extras == .biases ? try t.vector(p + "attn_v.bias", count: vw) : try t.optionalVector(p + "attn_v.bias", count: vw),
            qNorm: extras == .qkNorm ? try t.vector(p + "attn_q_norm.weight", count: c.headDim) : nil,
            kNorm: extras == .qkNorm ? try t.vector(p + "attn_k_norm.weight", count: c.headDim) : nil,
            wo: try t.matrix(p + "attn_output.weight", cols: c.headCount * c.valueDim, rows: d),
            ffnNorm: try t.vector(p + "ffn_norm.weight", count: d),
            ffnGate: try t.matrix(p + "ffn_gate.weight", cols: d, rows: c.feedForwardLength),
            ffnUp: try t.matrix(p + "ffn_up.weight", cols: d, rows: c.feedForwardLength),
            ffnDown: try t.matrix(p + "ffn_down.weight", cols: c.feedForwardLength, rows: d))
    }

    func forward(_ s: ForwardState, layer il: Int) {
        let c = s.configuration, d = c.embeddingLength
        s.rmsNorm(s.hidden, attnNorm, into: s.normed, width: d)
        s.record("attn_norm", il, s.normed, width: d)

        s.engine.multiply(wq, s.q.pointer, wk, s.k.pointer, wv, s.v.pointer, x: s.normed.pointer, tokens: s.tokens)
        if let bq { s.addBias(s.q, bq) }
        if let bk { s.addBias(s.k, bk) }
        if let bv { s.addBias(s.v, bv) }
        if let qNorm { s.headNorm(s.q, qNorm, heads: c.headCount) }
        if let kNorm { s.headNorm(s.k, kNorm, heads: c.headCountKV) }
        s.rope(s.q, heads: c.headCount, layer: il)
        s.rope(s.k, heads: c.headCountKV, layer: il)
        s.record("Qcur", il, s.q, width: c.headCount * c.headDim)
        s.record("Kcur", il, s.k, width: c.headCountKV * c.headDim)
        s.record("Vcur", il, s.v, width: c.headCountKV * c.valueDim)

        s.attention(layer: il, q: s.q.pointer, k: s.k.pointer, v: s.v.pointer, out: s.attnOut.pointer)
        s.record("kqv_out", il, s.attnOut, width: c.headCount * c.valueDim)
        s.matmul(wo, s.attnOut, s.proj)
        s.record("attn_out", il, s.proj, width: d)
        s.residual(s.hidden, s.proj, width: d)
        s.record("ffn_inp", il, s.hidden, width: d)

        s.rmsNorm(s.hidden, ffnNorm, into: s.normed, width: d)
        s.record("ffn_norm", il, s.normed, width: d)
        s.engine.multiplyGated(gate: ffnGate, s.gate.pointer, up: ffnUp, s.up.pointer, x: s.normed.pointer,
                                 tokens: s.tokens, activation: .silu)
        s.matmul(ffnDown, s.gate, s.proj)
        s.record("ffn_out", il, s.proj, width: d)
        s.residual(s.hidden, s.proj, width: d)
        s.record("l_out", il, s.hidden, width: d)
    }
}
