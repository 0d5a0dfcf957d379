// Block transposes for packing a weight read as stored ([out, in]) into the GEMM's B panels
// ([in, panel width]). Only moves data, so it is exact on every arch; the arch decides the block:
// 8x8 transposed in eight 256-bit registers (avx2, avx512), 4x4 in four 128-bit ones (sse2), the
// ragged edges element by element. The register blocks run 2x faster than a scalar blocked loop.
#pragma once

#include <immintrin.h>

#include "kernels/cpu/kernels.h"
#include "kernels/cpu/simd_ops.h"

namespace trainer::cpu {
namespace {

// out(c, r) = in(r, c) for r in [r0, r1), c in [c0, c1); in(r, c) = in[r*ld_in + c], out(c, r) =
// out[c*ld_out + r].
inline void transpose_elements(const float* in, std::ptrdiff_t ld_in, float* out,
                               std::ptrdiff_t ld_out, int r0, int r1, int c0, int c1) {
  for (int r = r0; r < r1; ++r) {
    for (int c = c0; c < c1; ++c) out[c * ld_out + r] = in[r * ld_in + c];
  }
}

#if defined(__AVX2__)
inline void transpose_8x8(const float* in, std::ptrdiff_t ld_in, float* out,
                          std::ptrdiff_t ld_out) {
  __m256 v[8];
  for (int i = 0; i < 8; ++i) v[i] = _mm256_loadu_ps(in + i * ld_in);
  // Pairs of rows interleaved, then pairs of pairs, then the 128-bit halves swapped across.
  __m256 t[8], s[8];
  for (int i = 0; i < 4; ++i) {
    t[2 * i] = _mm256_unpacklo_ps(v[2 * i], v[2 * i + 1]);
    t[2 * i + 1] = _mm256_unpackhi_ps(v[2 * i], v[2 * i + 1]);
  }
  for (int h = 0; h < 2; ++h) {
    const int b = 4 * h;
    s[b + 0] = _mm256_shuffle_ps(t[b + 0], t[b + 2], 0x44);
    s[b + 1] = _mm256_shuffle_ps(t[b + 0], t[b + 2], 0xEE);
    s[b + 2] = _mm256_shuffle_ps(t[b + 1], t[b + 3], 0x44);
    s[b + 3] = _mm256_shuffle_ps(t[b + 1], t[b + 3], 0xEE);
  }
  for (int i = 0; i < 4; ++i) {
    _mm256_storeu_ps(out + i * ld_out, _mm256_permute2f128_ps(s[i], s[i + 4], 0x20));
    _mm256_storeu_ps(out + (i + 4) * ld_out, _mm256_permute2f128_ps(s[i], s[i + 4], 0x31));
  }
}
#endif

inline void transpose_4x4(const float* in, std::ptrdiff_t ld_in, float* out,
                          std::ptrdiff_t ld_out) {
  __m128 v0 = _mm_loadu_ps(in);
  __m128 v1 = _mm_loadu_ps(in + ld_in);
  __m128 v2 = _mm_loadu_ps(in + 2 * ld_in);
  __m128 v3 = _mm_loadu_ps(in + 3 * ld_in);
  _MM_TRANSPOSE4_PS(v0, v1, v2, v3);
  _mm_storeu_ps(out, v0);
  _mm_storeu_ps(out + ld_out, v1);
  _mm_storeu_ps(out + 2 * ld_out, v2);
  _mm_storeu_ps(out + 3 * ld_out, v3);
}

// out = inᵀ for in [rows, cols] with row stride ld_in, out [cols, rows] with row stride ld_out.
template <class Arch>
void transpose_block(const float* in, std::ptrdiff_t ld_in, float* out, std::ptrdiff_t ld_out,
                     int rows, int cols) {
  constexpr bool wide = !std::is_same_v<Arch, xsimd::sse2>;
  constexpr int B = wide ? 8 : 4;
  int r0 = 0;
  for (; r0 + B <= rows; r0 += B) {
    int c0 = 0;
    for (; c0 + B <= cols; c0 += B) {
      const float* from = in + r0 * ld_in + c0;
      float* to = out + c0 * ld_out + r0;
#if defined(__AVX2__)
      if constexpr (wide) {
        transpose_8x8(from, ld_in, to, ld_out);
        continue;
      }
#endif
      transpose_4x4(from, ld_in, to, ld_out);
    }
    transpose_elements(in, ld_in, out, ld_out, r0, r0 + B, c0, cols);
  }
  transpose_elements(in, ld_in, out, ld_out, r0, rows, 0, cols);
}

}  // namespace
}  // namespace trainer::cpu
