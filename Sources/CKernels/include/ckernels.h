#ifndef QUANTTY_CKERNELS_H
#define QUANTTY_CKERNELS_H
#include <stdint.h>
#include <stddef.h>

/// CPU features detected at run time (never assumed at compile time).
typedef struct {
    int avx, avx2, fma, f16c, avx512f, avx512bw, avx512vnni;
} qt_cpu_features;

qt_cpu_features qt_cpu_detect(void);

/// 1 when AVX-512VL is available (needed by the 256-bit forms of AVX-512 instructions).
int qt_cpu_has_avx512vl(void);

// MARK: - SIMD quant kernels (x86_64 only; call only when QuantISA says the CPU has the features)
// vec_dot(n, weights, activations): n weights (a multiple of the block size) of the first type
// against activations of the second. quantize(x, dst, n): activation quantizers.
#define QT_DECLARE_KERNELS(S) \
    float qt_vec_dot_q4_0_q8_0_##S(int n, const void *x, const void *y); \
    float qt_vec_dot_q4_1_q8_1_##S(int n, const void *x, const void *y); \
    float qt_vec_dot_q5_0_q8_0_##S(int n, const void *x, const void *y); \
    float qt_vec_dot_q5_1_q8_1_##S(int n, const void *x, const void *y); \
    float qt_vec_dot_q8_0_q8_0_##S(int n, const void *x, const void *y); \
    float qt_vec_dot_q2_K_q8_K_##S(int n, const void *x, const void *y); \
    float qt_vec_dot_q3_K_q8_K_##S(int n, const void *x, const void *y); \
    float qt_vec_dot_q4_K_q8_K_##S(int n, const void *x, const void *y); \
    float qt_vec_dot_q5_K_q8_K_##S(int n, const void *x, const void *y); \
    float qt_vec_dot_q6_K_q8_K_##S(int n, const void *x, const void *y); \
    float qt_vec_dot_iq4_nl_q8_0_##S(int n, const void *x, const void *y); \
    float qt_vec_dot_iq4_xs_q8_K_##S(int n, const void *x, const void *y); \
    float qt_vec_dot_mxfp4_q8_0_##S(int n, const void *x, const void *y); \
    float qt_vec_dot_f16_##S(int n, const void *x, const void *y); \
    float qt_vec_dot_bf16_##S(int n, const void *x, const void *y); \
    float qt_vec_dot_f32_##S(int n, const void *x, const void *y); \
    void qt_quantize_q8_0_##S(const float *x, void *y, int n); \
    void qt_quantize_q8_1_##S(const float *x, void *y, int n); \
    void qt_quantize_q8_K_##S(const float *x, void *y, int n); \
    void qt_mat_dot_q4_K_##S(int n, const void *w, size_t wstride, int rows, const void *y, size_t ystride, \
                             int tokens, float *out, size_t ldo); \
    void qt_mat_dot_q6_K_##S(int n, const void *w, size_t wstride, int rows, const void *y, size_t ystride, \
                             int tokens, float *out, size_t ldo);;

#if defined(__x86_64__)
QT_DECLARE_KERNELS(avx2)
QT_DECLARE_KERNELS(avx512)
#endif

/// A vec-dot kernel: `n` weights at `x` against activations at `y`.
typedef float (*qt_vec_dot_fn)(int n, const void *x, const void *y);

/// `out[t * ldo + r] = dot(n, w + r * wstride, y + t * ystride)` for r < rows, t < tokens
/// (16 x 16 tiles of rows and tokens, as ggml's mul_mat, so both stay in L1). Portable C.
void qt_mat_vec_dot(qt_vec_dot_fn dot, int n, const void *w, size_t wstride, int rows,
                    const void *y, size_t ystride, int tokens, float *out, size_t ldo);

#if defined(__x86_64__)
// F16 KV-cache attention helpers (AVX2 + FMA + F16C).
/// out[j] = scale * dot(q, k[j * kstride ..< + hd]) for j < n.
void qt_attn_scores_f16_avx2(int n, int hd, const float *q, const uint16_t *k, size_t kstride, float scale, float *out);
/// F32 to F16 bits, round to nearest even.
void qt_f32_to_f16_avx2(int n, const float *x, uint16_t *y);
/// x rounded to the nearest F16 value in place.
void qt_round_f16_avx2(int n, float *x);
/// Softmax of n scores in place, as ggml-cpu computes it (ggml_v_expf, 16-lane chunk sums in
/// double); `offset` is the cache index of s[0] modulo 16 (where ggml's chunks start).
void qt_softmax_ggml_avx2(int n, int offset, float *s);
/// out[d] = sum_j p[j] * v[j][d] in tinyBLAS's order (16 lanes over j, keyed by (offset + j) % 16,
/// FMA chains, reduced like _mm512_reduce_add_ps). Rows j < n0 at v0 + j * vstride, the rest at
/// v1 + (j - n0) * vstride. acc: 16 * vd floats of scratch.
void qt_attn_wsum_ggml_avx2(int n, int offset, int vd, const float *p, const uint16_t *v0, int n0,
                            const uint16_t *v1, size_t vstride, float *acc, float *out);
/// gate[i] = silu(gate[i]) * up[i] with ggml's vectorized exp (ggml_vec_swiglu_f32).
void qt_swiglu_ggml_avx2(int n, float *gate, const float *up);
/// gate[i] = gelu(gate[i]) * up[i] through ggml's F16 GELU table (`table`: 65,536 floats indexed by
/// the F16 bits of the input); 0 at or below -10, the identity at or above 10.
void qt_geglu_table_avx2(int n, float *gate, const float *up, const float *table);
/// RoPE on `heads` heads of `head_dim` (the first `dims` of each), pairs (i, i + dims/2) when
/// `neox`, adjacent pairs otherwise: fma(x0, cos, -(x1 sin)), fma(x0, sin, x1 cos), hardware FMA.
void qt_rope_avx2(float *x, int heads, int head_dim, int dims, int neox, const float *cs);
#endif

#endif
