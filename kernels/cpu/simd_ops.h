// Per-arch building blocks shared by the kernel implementations (*_impl.h). Included only by the
// per-arch translation units (arch_*.cpp). Everything sits in an anonymous namespace: the linker
// must never merge a function compiled with AVX-512 flags into code that runs on an older CPU,
// which it would do with an ordinary inline function or template instantiated in two TUs. For the
// same reason the kernels call __builtin_sqrtf/__builtin_expf, not std::sqrt/std::exp (inline
// library functions that each arch TU may emit). tests/e2e/test_simd_objects.py checks all this.
#pragma once

#include <xsimd/xsimd.hpp>

#include <type_traits>

namespace trainer::cpu {
namespace {

template <class Arch>
struct ArchTraits;

template <>
struct ArchTraits<xsimd::sse2> {
  static constexpr bool fused = false;  // no FMA: a*b+c rounds twice (deterministic with itself)
  static constexpr int gemm_rows = 6;   // 6x2 accumulators + 2 loads + 1 broadcast of 16 registers
  static constexpr int gemm_vectors = 2;
};
template <>
struct ArchTraits<xsimd::fma3<xsimd::avx2>> {
  static constexpr bool fused = true;
  static constexpr int gemm_rows = 6;
  static constexpr int gemm_vectors = 2;
};
template <>
struct ArchTraits<xsimd::avx512bw> {
  static constexpr bool fused = true;
  // 6x4 accumulators + 4 loads + 1 broadcast of 32 registers. Against 12x2 (2 loads, 12
  // broadcasts): 6 broadcasts and 6 row addresses per 24 multiply-adds instead of 12, which an
  // Intel core's load and integer ports felt (in L1 95-98% of the peak against 87-92%, real
  // epochs 1-6% faster, bench/RESULTS.md); on Zen 5, where 12x2 was kept first, 6x4 measured no
  // faster, its 64-column B panel no longer in L1 at depth 256 or more.
  static constexpr int gemm_rows = 6;
  static constexpr int gemm_vectors = 4;
};

template <class Arch>
using Vec = xsimd::batch<float, Arch>;

// The one multiply-add of the kernels: fused (single rounding) wherever the arch has FMA.
template <class Arch>
inline Vec<Arch> madd(Vec<Arch> a, Vec<Arch> b, Vec<Arch> c) {
  if constexpr (std::is_same_v<Arch, xsimd::avx512bw>) {
    // xsimd 8.1 has no avx512 fma kernel and silently computes a*b+c unfused: call the intrinsic.
    return _mm512_fmadd_ps(a, b, c);
  } else if constexpr (ArchTraits<Arch>::fused) {
    return xsimd::fma(a, b, c);
  } else {
    return a * b + c;
  }
}

// The GEMM tile's inner loop on raw registers, with nothing but always-inline intrinsics: the same
// instructions as madd() and xsimd's loads, and inlined even into a function the sanitizers leave
// out (gemm_tile under ASan), which would otherwise call each xsimd helper out of line.
#define TRAINER_RAW_OP static inline __attribute__((always_inline))
template <class Arch>
struct RawOps;
template <>
struct RawOps<xsimd::sse2> {
  using R = __m128;
  TRAINER_RAW_OP R zero() { return _mm_setzero_ps(); }
  TRAINER_RAW_OP R load(const float* p) { return _mm_loadu_ps(p); }
  TRAINER_RAW_OP R broadcast(const float* p) { return _mm_set1_ps(*p); }
  TRAINER_RAW_OP R madd(R a, R b, R c) { return _mm_add_ps(_mm_mul_ps(a, b), c); }  // unfused
  TRAINER_RAW_OP void store_aligned(float* p, R v) { _mm_store_ps(p, v); }
};
#if defined(__AVX2__)
template <>
struct RawOps<xsimd::fma3<xsimd::avx2>> {
  using R = __m256;
  TRAINER_RAW_OP R zero() { return _mm256_setzero_ps(); }
  TRAINER_RAW_OP R load(const float* p) { return _mm256_loadu_ps(p); }
  TRAINER_RAW_OP R broadcast(const float* p) { return _mm256_broadcast_ss(p); }
  TRAINER_RAW_OP R madd(R a, R b, R c) { return _mm256_fmadd_ps(a, b, c); }
  TRAINER_RAW_OP void store_aligned(float* p, R v) { _mm256_store_ps(p, v); }
};
#endif
#if defined(__AVX512F__)
template <>
struct RawOps<xsimd::avx512bw> {
  using R = __m512;
  TRAINER_RAW_OP R zero() { return _mm512_setzero_ps(); }
  TRAINER_RAW_OP R load(const float* p) { return _mm512_loadu_ps(p); }
  TRAINER_RAW_OP R broadcast(const float* p) { return _mm512_set1_ps(*p); }
  TRAINER_RAW_OP R madd(R a, R b, R c) { return _mm512_fmadd_ps(a, b, c); }
  TRAINER_RAW_OP void store_aligned(float* p, R v) { _mm512_store_ps(p, v); }
};
#endif
#undef TRAINER_RAW_OP

template <class Arch>
inline float madd_scalar(float a, float b, float c) {
  if constexpr (ArchTraits<Arch>::fused) {
    return __builtin_fmaf(a, b, c);
  } else {
    return a * b + c;
  }
}

// ReLU as a select, not max(): max(-0, 0) differs between instruction sets, z > 0 ? z : +0 does
// not.
template <class Arch>
inline Vec<Arch> relu(Vec<Arch> z) {
  return xsimd::select(z > Vec<Arch>(0.0f), z, Vec<Arch>(0.0f));
}
inline float relu_scalar(float z) {
  return z > 0.0f ? z : 0.0f;
}

}  // namespace
}  // namespace trainer::cpu
