// ggml's `kvalues_fp4` (ggml-common.h), 16 entries: data, copied verbatim.

/// The 16 E2M1 values of MXFP4, doubled (index 8..15 are the negatives).
let kvaluesMXFP4: [Int8] = [
    0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12,
]
