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
    float qt_vec_dot_q4_K_q8_K_##S(int n, const void *x, const void *y); \
    float qt_vec_dot_q5_K_q8_K_##S(int n, const void *x, const void *y); \
    float qt_vec_dot_q6_K_q8_K_##S(int n, const void *x, const void *y); \
    float qt_vec_dot_f16_##S(int n, const void *x, const void *y); \
    float qt_vec_dot_bf16_##S(int n, const void *x, const void *y); \
    float qt_vec_dot_f32_##S(int n, const void *x, const void *y); \
    void qt_quantize_q8_0_##S(const float *x, void *y, int n); \
    void qt_quantize_q8_1_##S(const float *x, void *y, int n); \
    void qt_quantize_q8_K_##S(const float *x, void *y, int n);

#if defined(__x86_64__)
QT_DECLARE_KERNELS(avx2)
QT_DECLARE_KERNELS(avx512)
#endif

#endif
