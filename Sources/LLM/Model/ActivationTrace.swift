/// A debug hook that receives named intermediate results, like llama.cpp's `cb(cur, name, il)`.
///
/// Set `InferenceSession.trace` to dump or compare activations layer by layer with another
/// implementation. Called on the compute thread with a view valid only during the call:
/// `values` is (tokens, width), row-major, one row per token of the current micro-batch.
public typealias ActivationTrace = @Sendable (_ name: StaticString, _ layer: Int, _ tokens: Int, _ width: Int,
                                              _ values: UnsafeBufferPointer<Float>) -> Void
