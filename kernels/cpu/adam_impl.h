// Adam over the flat parameter arena, Keras' form (epsilon added to sqrt(v), bias correction folded
// into alpha). Element-wise, so any split over threads or vector widths gives the same bits. Two
// exact shortcuts keep subnormals away from the FPU (kernels/README.md, "Adam").
#pragma once

#include "kernels/cpu/kernels.h"
#include "kernels/cpu/simd_ops.h"

#include <immintrin.h>

#include <cfloat>
#include <cstdint>
#include <type_traits>

namespace trainer::cpu {
namespace {

// c = C / 2^shift with C a 24-bit integer: 0 < c < 1 as a float, split once per call.
struct DecayFactor {
  std::int64_t c = 0;
  int shift = 0;
};
inline DecayFactor decay_factor(float c) {
  int exponent;
  const float fraction = __builtin_frexpf(c, &exponent);  // c = fraction * 2^exponent, [0.5, 1)
  return {std::int64_t(__builtin_ldexpf(fraction, 24)), 24 - exponent};
}

#if defined(__AVX512F__) && defined(__AVX512DQ__)
// For lanes with |g|, |m| < 2^-126: m' = RN((g - m)*c + m), the fused madd, computed in integers
// (such floats are k * 2^-149 exactly; c = C / 2^shift), so that no subnormal reaches the FPU.
// Results stay below 2^24 units, where a float's bits are its unit count; `overflow` flags lanes
// where they would not (never with Keras' betas). An underflow to zero keeps the exact value's
// sign, an exact cancellation gives +0: both follow from sign(n) | rounded |n|.
inline __m512 tiny_moment_fused(__m512 g, __m512 m, std::int64_t c, int shift,
                                __mmask16& overflow) {
  const __m512i magnitude_bits = _mm512_set1_epi32(0x7fffffff),
                sign_bit = _mm512_set1_epi32(int(0x80000000u));
  auto units = [&](__m512 x) {  // signed count of 2^-149
    const __m512i bits = _mm512_castps_si512(x);
    const __m512i magnitude = _mm512_and_si512(bits, magnitude_bits);
    return _mm512_mask_sub_epi32(magnitude, _mm512_test_epi32_mask(bits, sign_bit),
                                 _mm512_setzero_si512(), magnitude);
  };
  const __m512i km = units(m), kd = _mm512_sub_epi32(units(g), km);
  const __m128i count = _mm_cvtsi32_si128(shift);
  const __m512i big_c = _mm512_set1_epi64(c),
                low_mask = _mm512_set1_epi64((std::int64_t(1) << shift) - 1),
                half = _mm512_set1_epi64(std::int64_t(1) << (shift - 1)),
                one = _mm512_set1_epi64(1), limit = _mm512_set1_epi64(std::int64_t(1) << 24),
                sign64 = _mm512_set1_epi64(std::int64_t(0x80000000u));
  __m256i halves[2];
  overflow = 0;
  for (int h = 0; h < 2; ++h) {
    // The extract's lane index must be an immediate, also where the loop is not unrolled (-O2).
    const __m512i km64 =
        _mm512_cvtepi32_epi64(h ? _mm512_extracti64x4_epi64(km, 1) : _mm512_castsi512_si256(km));
    const __m512i kd64 =
        _mm512_cvtepi32_epi64(h ? _mm512_extracti64x4_epi64(kd, 1) : _mm512_castsi512_si256(kd));
    const __m512i n =
        _mm512_add_epi64(_mm512_mullo_epi64(kd64, big_c), _mm512_sll_epi64(km64, count));
    const __m512i abs_n = _mm512_abs_epi64(n);
    __m512i q = _mm512_srl_epi64(abs_n, count);
    const __m512i r = _mm512_and_si512(abs_n, low_mask);
    const __mmask8 up = _mm512_cmpgt_epu64_mask(r, half) |
                        (_mm512_cmpeq_epu64_mask(r, half) & _mm512_test_epi64_mask(q, one));
    q = _mm512_mask_add_epi64(q, up, q, one);
    overflow |= __mmask16(_mm512_cmpge_epu64_mask(q, limit)) << (8 * h);
    const __mmask8 negative = _mm512_cmplt_epi64_mask(n, _mm512_setzero_si512());
    halves[h] = _mm512_cvtepi64_epi32(_mm512_mask_or_epi64(q, negative, q, sign64));
  }
  return _mm512_castsi512_ps(_mm512_inserti64x4(_mm512_castsi256_si512(halves[0]), halves[1], 1));
}
#endif

#if defined(__AVX512F__) && defined(__AVX512DQ__)
// decayed_subnormal_moment (below) on 16 lanes: where g = ±0, m' = RN(m·(1 - c)) on the subnormal
// grid, from a product that is exact in double. On the model's data every qualifying lane has
// g = ±0, and this form instead of tiny_moment_fused (two 64-bit multiplies, rounding by shifts)
// took Adam from 1.05 to 0.74 ns per element where every vector has such lanes (bench/RESULTS.md).
inline __m512 decayed_subnormal_moment_16(__m512 m, __m512d one_minus_c) {
  const __m512i bits = _mm512_castps_si512(m);
  const __m512i sign = _mm512_and_si512(bits, _mm512_set1_epi32(int(0x80000000u)));
  const __m512i magnitude = _mm512_andnot_si512(sign, bits);
  __m256i halves[2];
  for (int h = 0; h < 2; ++h) {
    const __m512d units = _mm512_cvtepi32_pd(h ? _mm512_extracti64x4_epi64(magnitude, 1)
                                               : _mm512_castsi512_si256(magnitude));
    const __m512d decayed = _mm512_roundscale_pd(_mm512_mul_pd(units, one_minus_c),
                                                 _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    halves[h] = _mm512_cvtpd_epi32(decayed);  // exact: integers below 2^23
  }
  const __m512i decayed_units = _mm512_inserti64x4(_mm512_castsi256_si512(halves[0]), halves[1], 1);
  return _mm512_castsi512_ps(_mm512_or_si512(decayed_units, sign));
}
#endif

#if defined(__AVX2__)
// avx2 has no 64-bit integer multiply for the general form above, but the lanes that matter have
// g = ±0 exactly (weights whose gradient is zero), and there m' = fma(0 - m, c, m) = RN(m·(1 - c)):
// on the subnormal grid, units(m)·(1 - c) rounded half-even to an integer. That product is exact
// and normal in double (23 + at most 30 significant bits), so no subnormal reaches the FPU. An
// underflow to zero keeps m's sign, as IEEE gives the exact value's.
inline __m256 decayed_subnormal_moment(__m256 m, __m256d one_minus_c) {
  const __m256i bits = _mm256_castps_si256(m);
  const __m256i sign = _mm256_and_si256(bits, _mm256_set1_epi32(int(0x80000000u)));
  const __m256i magnitude = _mm256_andnot_si256(sign, bits);
  __m128i halves[2];
  for (int h = 0; h < 2; ++h) {
    const __m256d units = _mm256_cvtepi32_pd(h ? _mm256_extracti128_si256(magnitude, 1)
                                               : _mm256_castsi256_si128(magnitude));
    const __m256d decayed = _mm256_round_pd(_mm256_mul_pd(units, one_minus_c),
                                            _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    halves[h] = _mm256_cvtpd_epi32(decayed);  // exact: integers below 2^23
  }
  const __m256i decayed_units =
      _mm256_inserti128_si256(_mm256_castsi128_si256(halves[0]), halves[1], 1);
  return _mm256_castsi256_ps(_mm256_or_si256(decayed_units, sign));
}
#endif

// What every span of one Adam call shares, computed once per call: a call per row of a block would
// otherwise pay the set-up (libm's frexp, the bounds below) per row, ~180 cycles, as much as
// updating 100 elements.
template <class Arch>
struct AdamSetup {
  using V = Vec<Arch>;
  float step_size = 0, unmoved_scalar = 0, unmoved_floor_scalar = 0;
  V alpha, omb1, omb2, eps, unmoved, unmoved_floor;
  DecayFactor beta1;
  double one_minus_c = 0;
  bool exact_decay = false;
};

template <class Arch>
AdamSetup<Arch> adam_setup(const AdamArgs& a) {
  using V = Vec<Arch>;
  AdamSetup<Arch> s;
  s.step_size = *a.alpha;
  s.alpha = V(s.step_size);
  s.omb1 = V(a.one_minus_beta1);
  s.omb2 = V(a.one_minus_beta2);
  s.eps = V(a.epsilon);
  // |m| * unmoved + unmoved_floor < |w| means the step (m*alpha)/(sqrt(v)+eps), whatever v, is
  // under a quarter ulp of w, so w - step rounds back to w: such a step is replaced by 0 (w - 0 is
  // w) instead of computed, because for a tiny m it underflows, and on x86 every subnormal result
  // costs a microcode assist (weights whose gradient is zero have m decaying towards 0 for hundreds
  // of steps). The step is at most (|m|*alpha + 2^-150)/eps before its relative roundings: m*alpha
  // may round up by half a subnormal, 2^-150, which no relative margin covers.
  const double margin = 1.0 + 0x1p-18;
  s.unmoved_scalar = float(double(s.step_size) / double(a.epsilon) * 0x1p25 * margin);
  s.unmoved_floor_scalar = float(0x1p-125 / double(a.epsilon) * margin);
  s.unmoved = V(s.unmoved_scalar);
  s.unmoved_floor = V(s.unmoved_floor_scalar);
  s.beta1 = decay_factor(a.one_minus_beta1);
  // 1 - c in double, and whether units·(1 - c) is exact there (at most 30 significant bits).
  s.one_minus_c = 1.0 - double(a.one_minus_beta1);
  int exponent;
  const double fraction = __builtin_ldexp(__builtin_frexp(s.one_minus_c, &exponent), 30);
  s.exact_decay = fraction == __builtin_floor(fraction);
  return s;
}

// Elements [begin, end) of one Adam call.
template <class Arch>
void adam_span(const AdamArgs& a, const AdamSetup<Arch>& s, std::size_t begin, std::size_t end) {
  using V = Vec<Arch>;
  constexpr std::size_t W = V::size;
  // Local copies: the vector stores may alias anything, so fields read through `a` would be
  // reloaded after every store.
  float* const params = a.params;
  float* const moment1 = a.m;
  float* const moment2 = a.v;
  const float* const grads = a.grads;
  const V alpha = s.alpha, omb1 = s.omb1, omb2 = s.omb2, eps = s.eps, unmoved = s.unmoved,
          unmoved_floor = s.unmoved_floor, zero(0.0f);
  const V square_underflows(0x1p-63f), square_negligible(0x1p-96f), smallest_normal(FLT_MIN);
  std::size_t i = begin;
  for (; i + W <= end; i += W) {
    V g = V::load_unaligned(grads + i);
    V m = V::load_unaligned(moment1 + i);
    V v = V::load_unaligned(moment2 + i);
    V w = V::load_unaligned(params + i);
    [[maybe_unused]] bool m_done = false;
#if defined(__AVX512F__) && defined(__AVX512DQ__)
    if constexpr (std::is_same_v<Arch, xsimd::avx512bw>) {
      // Weights whose gradient is zero or nearly have m decaying through the subnormal range for
      // hundreds of steps; every subnormal operand would cost a microcode assist. Such lanes get
      // their m from integers, and zeros in the float pipeline (g*g rounds to +0 for them anyway,
      // so v comes out the same).
      const V tiny(FLT_MIN);
      const __mmask16 lanes = _mm512_cmp_ps_mask(xsimd::abs(g), tiny, _CMP_LT_OQ) &
                              _mm512_cmp_ps_mask(xsimd::abs(m), tiny, _CMP_LT_OQ) &
                              _mm512_cmp_ps_mask(m, zero, _CMP_NEQ_UQ);
      __mmask16 overflow = 0;
      __m512 integer_m = zero;
      if (lanes) {
        // Where every such lane has g = ±0 (weights whose gradient is zero), the cheap form.
        if (s.exact_decay && (_mm512_cmp_ps_mask(g, zero, _CMP_NEQ_UQ) & lanes) == 0)
          integer_m = decayed_subnormal_moment_16(m, _mm512_set1_pd(s.one_minus_c));
        else
          integer_m = tiny_moment_fused(g, m, s.beta1.c, s.beta1.shift, overflow);
      }
      // Only the qualifying lanes' integer results are kept, so only theirs may overflow: the
      // other lanes (an ordinary g or m, whose bits are no unit count) always did, and sent every
      // mixed vector, subnormal lanes and all, to the float path and its assists (on an Intel
      // host 9.5-10.7% of the median epoch, bench/RESULTS.md).
      overflow &= lanes;
      if (lanes && !overflow) {
        g = _mm512_mask_mov_ps(g, lanes, zero);
        const V m_zeroed = _mm512_mask_mov_ps(m, lanes, zero);
        m = _mm512_mask_mov_ps(madd<Arch>(g - m_zeroed, omb1, m_zeroed), lanes, integer_m);
        m_done = true;
      }
    }
#endif
#if defined(__AVX2__)
    if constexpr (std::is_same_v<Arch, xsimd::fma3<xsimd::avx2>>) {
      const __m256 lanes =
          _mm256_and_ps(_mm256_and_ps(_mm256_cmp_ps(g, zero, _CMP_EQ_OQ),
                                      _mm256_cmp_ps(xsimd::abs(m), V(FLT_MIN), _CMP_LT_OQ)),
                        _mm256_cmp_ps(m, zero, _CMP_NEQ_UQ));
      if (s.exact_decay && _mm256_movemask_ps(lanes)) {
        const __m256 decayed = decayed_subnormal_moment(m, _mm256_set1_pd(s.one_minus_c));
        const V m_zeroed = _mm256_blendv_ps(m, zero, lanes);
        m = _mm256_blendv_ps(madd<Arch>(g - m_zeroed, omb1, m_zeroed), decayed, lanes);
        m_done = true;
      }
    }
#endif
    if (!m_done) m = madd<Arch>(g - m, omb1, m);
    // g*g underflows (a subnormal or zero result: an assist) for |g| < 2^-63. Where v >= 2^-96 that
    // square (<= 2^-126) is under half the float spacing below v (>= 2^-121), so g*g - v rounds to
    // -v exactly as 0 - v does: those lanes square 0 instead.
    const V squared =
        xsimd::select(xsimd::abs(g) < square_underflows && v >= square_negligible, zero, g);
    v = madd<Arch>(squared * squared - v, omb2, v);
    // The bound multiplies |m| raised to FLT_MIN: a subnormal m would cost an assist in the
    // multiply, and a larger bound only skips fewer steps (those are computed exactly).
    const V m_bound =
        xsimd::select(xsimd::abs(m) < smallest_normal, smallest_normal, xsimd::abs(m));
    const V step_m = xsimd::select(m_bound * unmoved + unmoved_floor < xsimd::abs(w), zero, m);
    w = w - (step_m * alpha) / (xsimd::sqrt(v) + eps);
    m.store_unaligned(moment1 + i);
    v.store_unaligned(moment2 + i);
    w.store_unaligned(params + i);
  }
  for (; i < end; ++i) {
    float g = grads[i];
    float m = madd_scalar<Arch>(g - moment1[i], a.one_minus_beta1, moment1[i]);
    float v = madd_scalar<Arch>(g * g - moment2[i], a.one_minus_beta2, moment2[i]);
    moment1[i] = m;
    moment2[i] = v;
    if (!(__builtin_fabsf(m) * s.unmoved_scalar + s.unmoved_floor_scalar <
          __builtin_fabsf(params[i])))
      params[i] = params[i] - (m * s.step_size) / (__builtin_sqrtf(v) + a.epsilon);
  }
}

template <class Arch>
void adam(const AdamArgs& a, std::size_t begin, std::size_t end) {
  adam_span<Arch>(a, adam_setup<Arch>(a), begin, end);
}

// Columns `cols` of rows `rows` of a [*, ld] parameter matrix: the block a weight-gradient task has
// just written. Each row's segment is short (a few hundred floats), too short for the hardware
// prefetcher to ramp up on the parameters and moments, so the next row's segments of those three
// are requested, a 64-byte line at a time, while this one is updated (the gradient was just written
// by this task and is in cache).
template <class Arch>
void adam_block(const AdamArgs& a, Range rows, Range cols, std::ptrdiff_t ld) {
  const AdamSetup<Arch> s = adam_setup<Arch>(a);
  if (cols.begin == 0 && cols.end == ld) {  // whole rows: one contiguous span
    adam_span<Arch>(a, s, std::size_t(rows.begin) * std::size_t(ld),
                    std::size_t(rows.end) * std::size_t(ld));
    return;
  }
  for (int r = rows.begin; r < rows.end; ++r) {
    const std::size_t first = std::size_t(r) * std::size_t(ld) + std::size_t(cols.begin);
    if (r + 1 < rows.end) {
      const std::size_t next = first + std::size_t(ld);
      for (int k = 0; k < cols.end - cols.begin; k += 64 / int(sizeof(float))) {
        _mm_prefetch(reinterpret_cast<const char*>(a.params + next + k), _MM_HINT_T0);
        _mm_prefetch(reinterpret_cast<const char*>(a.m + next + k), _MM_HINT_T0);
        _mm_prefetch(reinterpret_cast<const char*>(a.v + next + k), _MM_HINT_T0);
      }
    }
    adam_span<Arch>(a, s, first, first + std::size_t(cols.end - cols.begin));
  }
}

}  // namespace
}  // namespace trainer::cpu
