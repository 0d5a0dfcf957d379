// The batch gather: out[i, :] = images[rows[i], :] / 255 as float32, correctly rounded (exactly
// what CUDA's IEEE division computes). With FMA, not by division: q = x * RN(1/255), then one
// correction q += (x - q * 255) * RN(1/255), the residual exact in one fma (Markstein's division
// step); the unit test checks that this is x / 255's bits for all 256 byte values on every arch.
// A multiply and two fmas instead of a division: on an Intel core the gather of a batch went from
// 40-45 to 34-36 us (bench/RESULTS.md); the rest is the rows' misses.
// sse2, which has no fma, still divides.
// The rows arrive in shuffled order from tens of megabytes of images, each a miss the hardware
// prefetcher cannot predict, so the row a few ahead is requested while this one is converted:
// measured 77 us per 128 rows with a per-byte table lookup, 8 us vectorised and prefetched.
#pragma once

#include <immintrin.h>

#include <type_traits>

#include "kernels/cpu/kernels.h"
#include "kernels/cpu/simd_ops.h"

namespace trainer::cpu {
namespace {

constexpr int kGatherPrefetchRows = 4;

inline void prefetch_image_row(const std::uint8_t* row, int width) {
  const char* p = reinterpret_cast<const char*>(row);
  for (int k = 0; k < width; k += 64) _mm_prefetch(p + k, _MM_HINT_T0);
  if (width > 0) _mm_prefetch(p + width - 1, _MM_HINT_T0);
}

// 16 bytes to 16 floats divided by 255, in the arch's widest registers.
template <class Arch>
inline void normalize_16(const std::uint8_t* src, float* dst) {
  const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src));
  if constexpr (std::is_same_v<Arch, xsimd::avx512bw>) {
    const __m512 x = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(bytes));
    const __m512 k = _mm512_set1_ps(255.0f), inverse = _mm512_set1_ps(1.0f / 255.0f);
    const __m512 q = _mm512_mul_ps(x, inverse);
    _mm512_storeu_ps(dst, _mm512_fmadd_ps(_mm512_fnmadd_ps(q, k, x), inverse, q));
  } else if constexpr (std::is_same_v<Arch, xsimd::fma3<xsimd::avx2>>) {
    const __m256 k = _mm256_set1_ps(255.0f), inverse = _mm256_set1_ps(1.0f / 255.0f);
    const __m256 lo = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(bytes));
    const __m256 hi = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(bytes, 8)));
    const __m256 q_lo = _mm256_mul_ps(lo, inverse), q_hi = _mm256_mul_ps(hi, inverse);
    _mm256_storeu_ps(dst, _mm256_fmadd_ps(_mm256_fnmadd_ps(q_lo, k, lo), inverse, q_lo));
    _mm256_storeu_ps(dst + 8, _mm256_fmadd_ps(_mm256_fnmadd_ps(q_hi, k, hi), inverse, q_hi));
  } else {
    const __m128i zero = _mm_setzero_si128();
    const __m128i words_lo = _mm_unpacklo_epi8(bytes, zero),
                  words_hi = _mm_unpackhi_epi8(bytes, zero);
    const __m128i quads[4] = {
        _mm_unpacklo_epi16(words_lo, zero), _mm_unpackhi_epi16(words_lo, zero),
        _mm_unpacklo_epi16(words_hi, zero), _mm_unpackhi_epi16(words_hi, zero)};
    const __m128 k = _mm_set1_ps(255.0f);
    for (int q = 0; q < 4; ++q)
      _mm_storeu_ps(dst + 4 * q, _mm_div_ps(_mm_cvtepi32_ps(quads[q]), k));
  }
}

template <class Arch>
void gather_normalize(const std::uint8_t* images, int width, const std::uint32_t* rows, float* out,
                      Range row_range) {
  const auto row_at = [&](int i) { return images + std::size_t(rows[i]) * std::size_t(width); };
  for (int i = row_range.begin; i < row_range.end && i < row_range.begin + kGatherPrefetchRows; ++i)
    prefetch_image_row(row_at(i), width);
  for (int i = row_range.begin; i < row_range.end; ++i) {
    if (i + kGatherPrefetchRows < row_range.end)
      prefetch_image_row(row_at(i + kGatherPrefetchRows), width);
    const std::uint8_t* src = row_at(i);
    float* dst = out + std::ptrdiff_t(i) * width;
    int k = 0;
    for (; k + 16 <= width; k += 16) normalize_16<Arch>(src + k, dst + k);
    for (; k < width; ++k) dst[k] = float(src[k]) / 255.0f;
  }
}

}  // namespace
}  // namespace trainer::cpu
