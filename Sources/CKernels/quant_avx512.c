// AVX-512 (F/BW/VL/VNNI) instances of the SIMD quant kernels (see quant_simd.inc): the same
// 256-bit algorithms with VPDPBUSD for the u8 x s8 dot products, plus 512-bit kernels for the
// 32-weight formats that take two blocks per register (`*_zmm`) where they measured faster
// on the development machine (AMD EPYC, Zen 4): Q4_1, Q5_0, Q5_1. For Q4_0 and Q8_0 the 256-bit
// VNNI kernels were faster (287/246 ns vs 384/388 ns per 4096-weight row), so no zmm variant.
#if defined(__x86_64__)
#define QT_FN(name) name##_avx512
#define QT_VNNI 1
#pragma clang attribute push(__attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni"))), apply_to = function)
#include "quant_simd.inc"

/// Two blocks' 16 nibble bytes -> 64 bytes in 0..15 (block 0 in the low 256 bits, each block
/// low nibbles then high nibbles, i.e. weights 0..31 in order).
static inline __m512i nibbles2_zmm(const uint8_t *p0, const uint8_t *p1) {
    const __m128i t0 = _mm_loadu_si128((const __m128i *)p0), t1 = _mm_loadu_si128((const __m128i *)p1);
    const __m256i b0 = _mm256_set_m128i(_mm_srli_epi16(t0, 4), t0), b1 = _mm256_set_m128i(_mm_srli_epi16(t1, 4), t1);
    return _mm512_and_si512(_mm512_inserti64x4(_mm512_castsi256_si512(b0), b1, 1), _mm512_set1_epi8(0x0F));
}

static inline __m512i load2_zmm(const uint8_t *p0, const uint8_t *p1) {
    return _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)p0)), _mm256_loadu_si256((const __m256i *)p1), 1);
}

static inline __m512 scale2_zmm(float d0, float d1) {
    return _mm512_castsi512_ps(_mm512_inserti64x4(_mm512_castsi256_si512(_mm256_castps_si256(_mm256_set1_ps(d0))),
                                                  _mm256_castps_si256(_mm256_set1_ps(d1)), 1));
}

static inline uint64_t qh2_zmm(const uint8_t *p0, const uint8_t *p1) {
    uint32_t a, b; memcpy(&a, p0, 4); memcpy(&b, p1, 4);
    return (uint64_t)a | (uint64_t)b << 32;
}

// Two blocks per step: each body computes `sumi` (16 int32, 8 per block) and the block scales
// d0, d1; an odd last block falls back to the 256-bit kernel.

float qt_vec_dot_q4_1_q8_1_zmm(int n, const void *vx, const void *vy) {
    const uint8_t *x = vx, *y = vy;
    const int nb = n / 32;
    __m512 acc = _mm512_setzero_ps();
    float summs = 0;
    int ib = 0;
    for (; ib + 1 < nb; ib += 2) {
        const uint8_t *x0 = x + ib * 20, *x1 = x0 + 20, *y0 = y + ib * 36, *y1 = y0 + 36;
        const __m512i sumi = _mm512_dpbusd_epi32(_mm512_setzero_si512(), nibbles2_zmm(x0 + 4, x1 + 4), load2_zmm(y0 + 4, y1 + 4));
        summs += h2f_avx512(x0 + 2) * h2f_avx512(y0 + 2) + h2f_avx512(x1 + 2) * h2f_avx512(y1 + 2);
        const float d0 = h2f_avx512(x0) * h2f_avx512(y0), d1 = h2f_avx512(x1) * h2f_avx512(y1);
        acc = _mm512_fmadd_ps(scale2_zmm(d0, d1), _mm512_cvtepi32_ps(sumi), acc);
    }
    const float tail = ib < nb ? qt_vec_dot_q4_1_q8_1_avx512(32, x + ib * 20, y + ib * 36) : 0.0f;
    return _mm512_reduce_add_ps(acc) + summs + tail;
}

float qt_vec_dot_q5_0_q8_0_zmm(int n, const void *vx, const void *vy) {
    const uint8_t *x = vx, *y = vy;
    const int nb = n / 32;
    __m512 acc = _mm512_setzero_ps();
    int ib = 0;
    for (; ib + 1 < nb; ib += 2) {
        const uint8_t *x0 = x + ib * 22, *x1 = x0 + 22, *y0 = y + ib * 34, *y1 = y0 + 34;
        const __m512i qy = load2_zmm(y0 + 2, y1 + 2);
        const __m512i nib = nibbles2_zmm(x0 + 6, x1 + 6);
        const __m512i q5 = _mm512_mask_blend_epi8(qh2_zmm(x0 + 2, x1 + 2), nib, _mm512_or_si512(nib, _mm512_set1_epi8(0x10)));
        // (q5 - 16) . y = q5 . y - 16 * sum(y)
        const __m512i sumi = _mm512_sub_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), q5, qy),
                                              _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_set1_epi8(16), qy));
        const float d0 = h2f_avx512(x0) * h2f_avx512(y0), d1 = h2f_avx512(x1) * h2f_avx512(y1);
        acc = _mm512_fmadd_ps(scale2_zmm(d0, d1), _mm512_cvtepi32_ps(sumi), acc);
    }
    const float tail = ib < nb ? qt_vec_dot_q5_0_q8_0_avx512(32, x + ib * 22, y + ib * 34) : 0.0f;
    return _mm512_reduce_add_ps(acc) + tail;
}

float qt_vec_dot_q5_1_q8_1_zmm(int n, const void *vx, const void *vy) {
    const uint8_t *x = vx, *y = vy;
    const int nb = n / 32;
    __m512 acc = _mm512_setzero_ps();
    float summs = 0;
    int ib = 0;
    for (; ib + 1 < nb; ib += 2) {
        const uint8_t *x0 = x + ib * 24, *x1 = x0 + 24, *y0 = y + ib * 36, *y1 = y0 + 36;
        const __m512i nib = nibbles2_zmm(x0 + 8, x1 + 8);
        const __m512i q5 = _mm512_mask_blend_epi8(qh2_zmm(x0 + 4, x1 + 4), nib, _mm512_or_si512(nib, _mm512_set1_epi8(0x10)));
        const __m512i sumi = _mm512_dpbusd_epi32(_mm512_setzero_si512(), q5, load2_zmm(y0 + 4, y1 + 4));
        summs += h2f_avx512(x0 + 2) * h2f_avx512(y0 + 2) + h2f_avx512(x1 + 2) * h2f_avx512(y1 + 2);
        const float d0 = h2f_avx512(x0) * h2f_avx512(y0), d1 = h2f_avx512(x1) * h2f_avx512(y1);
        acc = _mm512_fmadd_ps(scale2_zmm(d0, d1), _mm512_cvtepi32_ps(sumi), acc);
    }
    const float tail = ib < nb ? qt_vec_dot_q5_1_q8_1_avx512(32, x + ib * 24, y + ib * 36) : 0.0f;
    return _mm512_reduce_add_ps(acc) + summs + tail;
}

#pragma clang attribute pop
#endif
