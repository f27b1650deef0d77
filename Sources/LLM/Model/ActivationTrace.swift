/// A debug hook that receives named intermediate results, like llama.cpp's `cb(cur, name, il)`.
///
/// Set `InferenceSession.trace` to dump or compare activations layer by layer with another
/// implementation. Called on the compute thread with a view valid only during the call:
/// `values` is (tokens, width), row-major, one row per token of the current micro-batch.
public typealias ActivationTrace = @Sendable (_ name: StaticString, _ layer: Int, _ tokens: Int, _ width: Int,
                                              _ values: UnsafeBufferPointer<Float>) -> Void

/// A hook that sees the input of every weight matrix multiplication, as llama-imatrix's
/// collector does: `name` is the weight's tensor name (`blk.0.attn_q.weight`), `x` holds
/// `tokens` rows of `cols` values, `ldx` apart. Called on the calling thread before the
/// multiplication; the view is valid only during the call.
public typealias MatmulInputObserver = (_ name: String, _ x: UnsafePointer<Float>, _ ldx: Int, _ cols: Int,
                                        _ tokens: Int) -> Void
