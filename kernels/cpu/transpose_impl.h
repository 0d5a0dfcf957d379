// out = inᵀ for in [rows, cols] row-major, over a range of input rows. Only moves data, so it is
// exact on every arch; the arch decides the block: 8x8 transposed in eight 256-bit registers
// (avx2, avx512), 4x4 in four 128-bit ones (sse2), the ragged edges element by element. The
// register blocks run 2x faster than a scalar blocked loop, which mattered at small batches,
// where the per-step weight transposes cost as much as the GEMMs.
#pragma once

#include <immintrin.h>

#include "kernels/cpu/kernels.h"
#include "kernels/cpu/simd_ops.h"

namespace trainer::cpu {
namespace {

inline void transpose_element_block(const float* in, int rows, int cols, float* out, int r0, int r1,
                                    int c0, int c1) {
  for (int r = r0; r < r1; ++r) {
    for (int c = c0; c < c1; ++c)
      out[std::ptrdiff_t(c) * rows + r] = in[std::ptrdiff_t(r) * cols + c];
  }
}

#if defined(__AVX2__)
inline void transpose_8x8(const float* in, int rows, int cols, float* out, int r0, int c0) {
  __m256 v[8];
  for (int i = 0; i < 8; ++i) v[i] = _mm256_loadu_ps(in + std::ptrdiff_t(r0 + i) * cols + c0);
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
    _mm256_storeu_ps(out + std::ptrdiff_t(c0 + i) * rows + r0,
                     _mm256_permute2f128_ps(s[i], s[i + 4], 0x20));
    _mm256_storeu_ps(out + std::ptrdiff_t(c0 + i + 4) * rows + r0,
                     _mm256_permute2f128_ps(s[i], s[i + 4], 0x31));
  }
}
#endif

inline void transpose_4x4(const float* in, int rows, int cols, float* out, int r0, int c0) {
  __m128 v0 = _mm_loadu_ps(in + std::ptrdiff_t(r0) * cols + c0);
  __m128 v1 = _mm_loadu_ps(in + std::ptrdiff_t(r0 + 1) * cols + c0);
  __m128 v2 = _mm_loadu_ps(in + std::ptrdiff_t(r0 + 2) * cols + c0);
  __m128 v3 = _mm_loadu_ps(in + std::ptrdiff_t(r0 + 3) * cols + c0);
  _MM_TRANSPOSE4_PS(v0, v1, v2, v3);
  _mm_storeu_ps(out + std::ptrdiff_t(c0) * rows + r0, v0);
  _mm_storeu_ps(out + std::ptrdiff_t(c0 + 1) * rows + r0, v1);
  _mm_storeu_ps(out + std::ptrdiff_t(c0 + 2) * rows + r0, v2);
  _mm_storeu_ps(out + std::ptrdiff_t(c0 + 3) * rows + r0, v3);
}

template <class Arch>
void transpose(const float* in, int rows, int cols, float* out, Range row_range) {
  constexpr bool wide = !std::is_same_v<Arch, xsimd::sse2>;
  constexpr int B = wide ? 8 : 4;
  int r0 = row_range.begin;
  for (; r0 + B <= row_range.end; r0 += B) {
    int c0 = 0;
    for (; c0 + B <= cols; c0 += B) {
#if defined(__AVX2__)
      if constexpr (wide) {
        transpose_8x8(in, rows, cols, out, r0, c0);
        continue;
      }
#endif
      transpose_4x4(in, rows, cols, out, r0, c0);
    }
    transpose_element_block(in, rows, cols, out, r0, r0 + B, c0, cols);
  }
  transpose_element_block(in, rows, cols, out, r0, row_range.end, 0, cols);
}

}  // namespace
}  // namespace trainer::cpu
