// AVX2 + FMA + F16C instances of the SIMD quant kernels (see quant_simd.inc).
#if defined(__x86_64__)
#define QT_FN(name) name##_avx2
#define QT_VNNI 0
#pragma clang attribute push(__attribute__((target("avx2,fma,f16c"))), apply_to = function)
#include "quant_simd.inc"
#pragma clang attribute pop
#endif
