// ggml's `kvalues_iq4nl` (ggml-common.h), 16 entries: data, copied verbatim.

/// The 16 non-linear levels of IQ4_NL / IQ4_XS.
let kvaluesIQ4NL: [Int8] = [
    -127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113,
]
