// AVX-512 (F/BW/VL/VNNI) instances of the SIMD quant kernels (see quant_simd.inc): the same
// 256-bit algorithms with VPDPBUSD for the u8 x s8 dot products (integer sums are exact, so the
// results equal the AVX2 instances and llama.cpp's bit for bit). The former two-blocks-per-zmm
// variants changed the float order and are gone.
#if defined(__x86_64__)
#define QT_FN(name) name##_avx512
#define QT_VNNI 1
#pragma clang attribute push(__attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni"))), apply_to = function)
#include "quant_simd.inc"

#pragma clang attribute pop
#endif
