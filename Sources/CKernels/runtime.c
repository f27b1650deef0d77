// Forward-pass helpers that are not block formats: the row-by-token driver around the vec-dot
// kernels, and F16 KV-cache attention kernels (F16C + FMA, compiled for AVX2 and only called
// after the Swift side checked the CPU features; the portable path is Swift).
#include <immintrin.h>
#include <math.h>
#include <string.h>
#include "ckernels.h"

void qt_mat_vec_dot(qt_vec_dot_fn dot, int n, const void *w, size_t wstride, int rows,
                    const void *y, size_t ystride, int tokens, float *out, size_t ldo) {
    const uint8_t *wb = w, *yb = y;
    if (tokens == 1) {
        for (int r = 0; r < rows; ++r) out[r] = dot(n, wb + (size_t)r * wstride, yb);
        return;
    }
    // 16 x 16 tiles (as ggml's mul_mat): 16 weight rows and 16 activation rows stay in L1.
    for (int r0 = 0; r0 < rows; r0 += 16) {
        const int r1 = r0 + 16 < rows ? r0 + 16 : rows;
        for (int t0 = 0; t0 < tokens; t0 += 16) {
            const int t1 = t0 + 16 < tokens ? t0 + 16 : tokens;
            for (int t = t0; t < t1; ++t) {
                const uint8_t *yt = yb + (size_t)t * ystride;
                float *o = out + (size_t)t * ldo;
                for (int r = r0; r < r1; ++r) o[r] = dot(n, wb + (size_t)r * wstride, yt);
            }
        }
    }
}

#if defined(__x86_64__)
#pragma clang attribute push(__attribute__((target("avx2,fma,f16c"))), apply_to = function)

static inline float hsum8(__m256 x) {
    __m128 r = _mm_add_ps(_mm256_extractf128_ps(x, 1), _mm256_castps256_ps128(x));
    r = _mm_add_ps(r, _mm_movehl_ps(r, r));
    r = _mm_add_ss(r, _mm_movehdup_ps(r));
    return _mm_cvtss_f32(r);
}

void qt_attn_scores_f16_avx2(int n, int hd, const float *q, const uint16_t *k, size_t kstride, float scale, float *out) {
    for (int j = 0; j < n; ++j) {
        const uint16_t *kr = k + (size_t)j * kstride;
        __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
        int i = 0;
        for (; i + 16 <= hd; i += 16) {
            a0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(kr + i))), a0);
            a1 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 8), _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(kr + i + 8))), a1);
        }
        float s = hsum8(_mm256_add_ps(a0, a1));
        for (; i < hd; ++i) s += q[i] * _cvtsh_ss(kr[i]);
        out[j] = s * scale;
    }
}

void qt_f32_to_f16_avx2(int n, const float *x, uint16_t *y) {
    int i = 0;
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128((__m128i *)(y + i), _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
    for (; i < n; ++i) y[i] = _cvtss_sh(x[i], _MM_FROUND_TO_NEAREST_INT);
}

void qt_round_f16_avx2(int n, float *x) {
    int i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(x + i, _mm256_cvtph_ps(_mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT)));
    for (; i < n; ++i) x[i] = _cvtsh_ss(_cvtss_sh(x[i], _MM_FROUND_TO_NEAREST_INT));
}

// MARK: - llama.cpp-exact attention softmax, V product and SwiGLU
//
// The forward pass of a small quantized model amplifies last-bit differences (a flipped 8-bit
// activation rounding in one layer moves the logits by ~0.1), so these follow ggml-cpu's
// arithmetic operation for operation: `ggml_v_expf` (the AVX-512 variant, emulated lane by lane
// on 8-wide registers), softmax sums of 16-lane chunks reduced like `_mm512_reduce_add_ps` and
// accumulated in double, and the V product as llamafile's tinyBLAS computes it (16 lanes over
// the key positions, each an FMA chain, reduced at the end).

static inline float exp_fix_lane(float j, float n) {
    if (fabsf(n) > 192.0f) return n <= 0.0f ? 0.0f : INFINITY;
    return (float)((double)j * ldexp(1.0, (int)n));
}

/// ggml_v_expf (ggml-cpu vec.h, AVX-512 branch) on 8 lanes.
static inline __m256 ggml_expf8(__m256 x) {
    const __m256 r = _mm256_set1_ps(0x1.8p23f);
    const __m256 z = _mm256_fmadd_ps(x, _mm256_set1_ps(0x1.715476p+0f), r);
    const __m256 n = _mm256_sub_ps(z, r);
    const __m256 b = _mm256_fnmadd_ps(n, _mm256_set1_ps(0x1.7f7d1cp-20f),
                                      _mm256_fnmadd_ps(n, _mm256_set1_ps(0x1.62e4p-1f), x));
    const __m256 u = _mm256_mul_ps(b, b);
    const __m256 j = _mm256_fmadd_ps(
        _mm256_fmadd_ps(_mm256_fmadd_ps(_mm256_set1_ps(0x1.0e4020p-7f), b, _mm256_set1_ps(0x1.573e2ep-5f)), u,
                        _mm256_fmadd_ps(_mm256_set1_ps(0x1.555e66p-3f), b, _mm256_set1_ps(0x1.fffdb6p-2f))),
        u, _mm256_fmadd_ps(_mm256_set1_ps(0x1.ffffecp-1f), b, _mm256_set1_ps(1.0f)));
    // scalef(j, n) = j * 2^n: exact power of two while |n| <= 126, lane fix-ups beyond.
    const __m256 absn = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), n);
    const __m256 big = _mm256_cmp_ps(absn, _mm256_set1_ps(126.0f), _CMP_GT_OQ);
    const __m256 nc = _mm256_blendv_ps(n, _mm256_setzero_ps(), big);
    const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(nc), _mm256_set1_epi32(127)), 23);
    __m256 res = _mm256_mul_ps(j, _mm256_castsi256_ps(e));
    if (_mm256_movemask_ps(big)) {
        float jl[8], nl[8], rl[8];
        _mm256_storeu_ps(jl, j); _mm256_storeu_ps(nl, n); _mm256_storeu_ps(rl, res);
        const int m = _mm256_movemask_ps(big);
        for (int i = 0; i < 8; ++i) if (m & (1 << i)) rl[i] = exp_fix_lane(jl[i], nl[i]);
        res = _mm256_loadu_ps(rl);
    }
    return res;
}

/// `_mm512_reduce_add_ps` (GCC's order) of the 16 lanes lo (0..7), hi (8..15).
static inline float reduce16(__m256 lo, __m256 hi) {
    const __m256 t3 = _mm256_add_ps(hi, lo);
    const __m128 t6 = _mm_add_ps(_mm256_extractf128_ps(t3, 1), _mm256_castps256_ps128(t3));
    const __m128 t8 = _mm_add_ps(t6, _mm_movehl_ps(t6, t6));
    return _mm_cvtss_f32(_mm_add_ss(t8, _mm_movehdup_ps(t8)));
}

void qt_softmax_ggml_avx2(int n, int offset, float *s) {
    float m = -INFINITY;
    for (int j = 0; j < n; ++j) m = s[j] > m ? s[j] : m;
    double sum = 0;
    for (int c0 = -offset; c0 < n; c0 += 16) {
        float lanes[16];
        for (int l = 0; l < 16; ++l) {
            const int j = c0 + l;
            lanes[l] = (j >= 0 && j < n) ? s[j] - m : -INFINITY;
        }
        const __m256 lo = ggml_expf8(_mm256_loadu_ps(lanes)), hi = ggml_expf8(_mm256_loadu_ps(lanes + 8));
        _mm256_storeu_ps(lanes, lo); _mm256_storeu_ps(lanes + 8, hi);
        for (int l = 0; l < 16; ++l) {
            const int j = c0 + l;
            if (j >= 0 && j < n) s[j] = lanes[l];
        }
        sum += (double)reduce16(lo, hi);
    }
    const float inv = (float)(1.0 / sum);
    for (int j = 0; j < n; ++j) s[j] *= inv;
}

void qt_attn_wsum_ggml_avx2(int n, int offset, int vd, const float *p, const uint16_t *v0, int n0,
                            const uint16_t *v1, size_t vstride, float *acc, float *out) {
    memset(acc, 0, sizeof(float) * 16 * (size_t)vd);
    for (int j = 0; j < n; ++j) {
        const uint16_t *vr = j < n0 ? v0 + (size_t)j * vstride : v1 + (size_t)(j - n0) * vstride;
        float *a = acc + (size_t)((offset + j) & 15) * vd;
        const __m256 w = _mm256_set1_ps(p[j]);
        int d = 0;
        for (; d + 8 <= vd; d += 8)
            _mm256_storeu_ps(a + d, _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(vr + d))), w,
                                                    _mm256_loadu_ps(a + d)));
        for (; d < vd; ++d) a[d] = fmaf(_cvtsh_ss(vr[d]), p[j], a[d]);
    }
    int d = 0;
    for (; d + 8 <= vd; d += 8) {
        __m256 t3[8];
        for (int i = 0; i < 8; ++i)
            t3[i] = _mm256_add_ps(_mm256_loadu_ps(acc + (size_t)(i + 8) * vd + d), _mm256_loadu_ps(acc + (size_t)i * vd + d));
        __m256 t6[4];
        for (int i = 0; i < 4; ++i) t6[i] = _mm256_add_ps(t3[i + 4], t3[i]);
        const __m256 t80 = _mm256_add_ps(t6[0], t6[2]), t81 = _mm256_add_ps(t6[1], t6[3]);
        _mm256_storeu_ps(out + d, _mm256_add_ps(t80, t81));
    }
    for (; d < vd; ++d) {
        float t3[8], t6[4];
        for (int i = 0; i < 8; ++i) t3[i] = acc[(size_t)(i + 8) * vd + d] + acc[(size_t)i * vd + d];
        for (int i = 0; i < 4; ++i) t6[i] = t3[i + 4] + t3[i];
        out[d] = (t6[0] + t6[2]) + (t6[1] + t6[3]);
    }
}

void qt_swiglu_ggml_avx2(int n, float *gate, const float *up) {
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 x = _mm256_loadu_ps(gate + i);
        const __m256 e = ggml_expf8(_mm256_sub_ps(_mm256_setzero_ps(), x));
        const __m256 silu = _mm256_div_ps(x, _mm256_add_ps(_mm256_set1_ps(1.0f), e));
        _mm256_storeu_ps(gate + i, _mm256_mul_ps(silu, _mm256_loadu_ps(up + i)));
    }
    for (; i < n; ++i) gate[i] = gate[i] / (1.0f + expf(-gate[i])) * up[i];
}

void qt_geglu_table_avx2(int n, float *gate, const float *up, const float *table) {
    int i = 0;
    const __m256 lo = _mm256_set1_ps(-10.0f), hi = _mm256_set1_ps(10.0f);
    for (; i + 8 <= n; i += 8) {
        const __m256 x = _mm256_loadu_ps(gate + i), u = _mm256_loadu_ps(up + i);
        const __m256i h = _mm256_cvtepu16_epi32(_mm256_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT));
        __m256 y = _mm256_mul_ps(_mm256_i32gather_ps(table, h, 4), u);
        y = _mm256_blendv_ps(y, _mm256_mul_ps(x, u), _mm256_cmp_ps(x, hi, _CMP_GE_OQ));
        y = _mm256_blendv_ps(y, _mm256_setzero_ps(), _mm256_cmp_ps(x, lo, _CMP_LE_OQ));
        _mm256_storeu_ps(gate + i, y);
    }
    for (; i < n; ++i) {
        const float x = gate[i];
        gate[i] = x <= -10.0f ? 0.0f : x >= 10.0f ? x * up[i] : table[_cvtss_sh(x, _MM_FROUND_TO_NEAREST_INT)] * up[i];
    }
}

void qt_rope_avx2(float *x, int heads, int head_dim, int dims, int neox, const float *cs) {
    const int half = dims / 2;
    for (int h = 0; h < heads; ++h) {
        float *v = x + (size_t)h * head_dim;
        for (int i = 0; i < half; ++i) {
            const float c = cs[2 * i], s = cs[2 * i + 1];
            float *p0 = neox ? v + i : v + 2 * i, *p1 = neox ? v + i + half : v + 2 * i + 1;
            const float a = *p0, b = *p1;
            *p0 = __builtin_fmaf(a, c, -(b * s));
            *p1 = __builtin_fmaf(a, s, b * c);
        }
    }
}

#pragma clang attribute pop
#endif
