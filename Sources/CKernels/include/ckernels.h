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

#endif
