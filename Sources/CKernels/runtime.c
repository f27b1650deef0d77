// Forward-pass helpers that are not block formats: the row-by-token driver around the vec-dot
// kernels, and F16 KV-cache attention kernels (F16C + FMA, compiled for AVX2 and only called
// after the Swift side checked the CPU features; the portable path is Swift).
#include <immintrin.h>
#include <string.h>
#include "ckernels.h"

void qt_mat_vec_dot(qt_vec_dot_fn dot, int n, const void *w, size_t wstride, int rows,
                    const void *y, size_t ystride, int tokens, float *out, size_t ldo) {
    const uint8_t *wb = w, *yb = y;
    if (tokens == 1) {
        for (int r = 0; r < rows; ++r) out[r] = dot(n, wb + (size_t)r * wstride, yb);
        return;
    }
    for (int r = 0; r < rows; ++r) {
        const uint8_t *wr = wb + (size_t)r * wstride;
        for (int t = 0; t < tokens; ++t) out[(size_t)t * ldo + r] = dot(n, wr, yb + (size_t)t * ystride);
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

void qt_attn_wsum_f16_avx2(int n, int vd, const float *s, const uint16_t *v, size_t vstride, float *out) {
    int d = 0;
    for (; d + 32 <= vd; d += 32) {
        __m256 a0 = _mm256_loadu_ps(out + d), a1 = _mm256_loadu_ps(out + d + 8);
        __m256 a2 = _mm256_loadu_ps(out + d + 16), a3 = _mm256_loadu_ps(out + d + 24);
        for (int j = 0; j < n; ++j) {
            const uint16_t *vr = v + (size_t)j * vstride + d;
            const __m256 w = _mm256_set1_ps(s[j]);
            a0 = _mm256_fmadd_ps(w, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)vr)), a0);
            a1 = _mm256_fmadd_ps(w, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(vr + 8))), a1);
            a2 = _mm256_fmadd_ps(w, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(vr + 16))), a2);
            a3 = _mm256_fmadd_ps(w, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(vr + 24))), a3);
        }
        _mm256_storeu_ps(out + d, a0); _mm256_storeu_ps(out + d + 8, a1);
        _mm256_storeu_ps(out + d + 16, a2); _mm256_storeu_ps(out + d + 24, a3);
    }
    for (; d < vd; ++d) {
        float a = out[d];
        for (int j = 0; j < n; ++j) a += s[j] * _cvtsh_ss(v[(size_t)j * vstride + d]);
        out[d] = a;
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

#pragma clang attribute pop
#endif
