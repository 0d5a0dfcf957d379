// Helpers shared by the CPU and CUDA kernel tests.
#pragma once

#include <cstring>
#include <random>
#include <vector>

#include "kernels/cpu/simd_arch.h"

// The SIMD archs this CPU can run, oldest first.
inline std::vector<trainer::cpu::SimdArch> supported_archs() {
  using trainer::cpu::SimdArch;
  std::vector<SimdArch> archs;
  for (SimdArch arch : {SimdArch::sse2, SimdArch::avx2, SimdArch::avx512}) {
    if (trainer::cpu::cpu_supports(arch)) archs.push_back(arch);
  }
  return archs;
}

inline std::vector<float> random_floats(std::mt19937& rng, std::size_t n, float lo = -1.0f,
                                        float hi = 1.0f) {
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

// How many elements differ in their bits (a count says more than "not equal" when a test fails).
inline int count_bit_differences(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return int(a.size() > b.size() ? a.size() : b.size());
  int differ = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    differ += std::memcmp(&a[i], &b[i], sizeof(float)) != 0;
  return differ;
}

inline bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return count_bit_differences(a, b) == 0;
}
