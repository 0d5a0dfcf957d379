// Adam where subnormals live (weights whose gradient is zero: m decays through the subnormal range)
// against the plain IEEE formula written out here: for every subnormal m of both signs, with zero,
// subnormal, smallest-normal and ordinary gradients, subnormal v and tiny weights mixed in, and for
// random magnitudes from 2^-149 to 1: same bits on every arch, fused or not. A faster kernel for
// these elements (bench/RESULTS.md, "subnormals") must keep passing it.
#include <catch2/catch.hpp>

#include <cfloat>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "kernel_test_support.h"
#include "kernels/cpu/kernels.h"

using namespace trainer;
using namespace trainer::cpu;

namespace {

float from_bits(std::uint32_t bits) {
  float x;
  std::memcpy(&x, &bits, sizeof x);
  return x;
}

// The update without any shortcut, as kernels/README.md writes it; `fused` as the arch's madd.
void reference_adam(bool fused, float g, float& m, float& v, float& w, float alpha, float b1,
                    float b2, float eps) {
  m = fused ? std::fma(g - m, b1, m) : (g - m) * b1 + m;
  v = fused ? std::fma(g * g - v, b2, v) : (g * g - v) * b2 + v;
  w = w - (m * alpha) / (std::sqrt(v) + eps);
}

}  // namespace

TEST_CASE("adam: subnormal moments, bit for bit", "[kernels][adam]") {
  const float b1 = 0.1f, b2 = 0.001f, eps = 1e-7f;
  for (SimdArch arch : supported_archs()) {
    const bool fused = arch != SimdArch::sse2;
    std::mt19937 rng(11);
    std::uniform_real_distribution<float> weight(-0.2f, 0.2f), second(1e-30f, 1e-3f);
    constexpr std::uint32_t kChunk = 1 << 20;
    // Twice: with subnormal g among the tiny lanes (the general integer form), and with every tiny
    // lane's g = ±0 (the decay-only form avx512 takes when a vector's tiny lanes all have g = ±0,
    // as the model's weights without gradient do), ordinary g mixed into the same vectors both
    // times.
    for (const bool zero_g : {false, true}) {
      for (std::uint32_t first = 1; first < (1u << 23); first += kChunk) {
        const std::uint32_t count = std::min(kChunk, (1u << 23) - first);
        const std::size_t n = 2 * std::size_t(count);  // each k with both signs
        std::vector<float> g(n, 0.0f), m(n), v(n), w(n);
        for (std::size_t i = 0; i < n; ++i) {
          const std::uint32_t k = first + std::uint32_t(i / 2);
          m[i] = from_bits((i % 2 ? 0x80000000u : 0u) | k);
          v[i] = i % 13 == 0 ? from_bits(k) : second(rng);  // some subnormal v too
          w[i] = weight(rng);
          if (i % 11 == 0) w[i] = from_bits(0x00800000u + k);  // tiny weights: no shortcut
          if (zero_g && i % 3 == 0) g[i] = -0.0f;
          if (i % 17 == 0) g[i] = 1e-3f;  // mixed into the same vectors
          if (!zero_g && i % 5 == 0)
            g[i] = from_bits(std::uint32_t(rng()) & 0x807fffffu);  // subnormal g
          if (i % 19 == 0) g[i] = from_bits(0x00800000u | (std::uint32_t(rng()) & 0x807fffffu));
          if (i % 23 == 0) m[i] = i % 2 ? -0.0f : 0.0f;  // zero m, tiny g: the plain formula
        }
        std::vector<float> m_ref = m, v_ref = v, w_ref = w;
        const float alpha = first % 2 ? 0.00316f : 0.0316f;
        for (std::size_t i = 0; i < n; ++i)
          reference_adam(fused, g[i], m_ref[i], v_ref[i], w_ref[i], alpha, b1, b2, eps);
        AdamArgs a{w.data(), g.data(), m.data(), v.data(), &alpha, b1, b2, eps};
        kernel_table(arch).adam(a, 0, 5);  // a ragged head, then the rest
        kernel_table(arch).adam(a, 5, n);
        INFO(simd_arch_name(arch) << ", k from " << first << (zero_g ? ", g = ±0" : ""));
        REQUIRE(count_bit_differences(m, m_ref) == 0);
        REQUIRE(count_bit_differences(v, v_ref) == 0);
        REQUIRE(count_bit_differences(w, w_ref) == 0);
      }
    }
  }
}

TEST_CASE("adam: steps too small to move a weight, bit for bit", "[kernels][adam]") {
  const float b1 = 0.1f, b2 = 0.001f, eps = 1e-7f;
  for (SimdArch arch : supported_archs()) {
    const bool fused = arch != SimdArch::sse2;
    std::mt19937 rng(12);
    std::uniform_real_distribution<float> exponent(-149.0f, 0.0f), unit(-1.0f, 1.0f);
    const std::size_t n = 1 << 20;
    std::vector<float> g(n), m(n), v(n), w(n);
    auto spread = [&] { return unit(rng) * std::exp2(exponent(rng)); };  // magnitudes 2^-149..1
    for (std::size_t i = 0; i < n; ++i) {
      g[i] = i % 3 ? 0.0f : spread();
      m[i] = spread();
      v[i] = std::fabs(spread());
      w[i] = spread();
    }
    std::vector<float> m_ref = m, v_ref = v, w_ref = w;
    for (const float alpha : {0.0316f, 1e-4f, 10.0f}) {
      for (std::size_t i = 0; i < n; ++i)
        reference_adam(fused, g[i], m_ref[i], v_ref[i], w_ref[i], alpha, b1, b2, eps);
      AdamArgs a{w.data(), g.data(), m.data(), v.data(), &alpha, b1, b2, eps};
      kernel_table(arch).adam(a, 0, n);
      INFO(simd_arch_name(arch) << ", alpha " << alpha);
      REQUIRE(count_bit_differences(m, m_ref) == 0);
      REQUIRE(count_bit_differences(v, v_ref) == 0);
      REQUIRE(count_bit_differences(w, w_ref) == 0);
    }
  }
}

TEST_CASE("adam: gradients whose square underflows, bit for bit", "[kernels][adam]") {
  // g*g is subnormal or 0 for |g| < 2^-63; the kernel squares 0 instead where v is large enough
  // that g*g - v rounds to -v either way. Probe both sides of both thresholds, powers of two
  // (where the spacing below v halves) and their neighbours.
  const float b1 = 0.1f, b2 = 0.001f, eps = 1e-7f, alpha = 0.0316f;
  std::vector<float> grads, variances;
  for (int e = -80; e <= -55; ++e) {
    for (float f : {1.0f, 1.0f + 0x1p-23f, 1.5f, 2.0f - 0x1p-23f}) {
      grads.push_back(std::ldexp(f, e));
      grads.push_back(-std::ldexp(f, e));
    }
  }
  grads.push_back(from_bits(1));            // smallest subnormal
  grads.push_back(from_bits(0x007fffffu));  // largest subnormal
  for (int e = -135; e <= -80; ++e) {
    for (float f : {1.0f, 1.0f + 0x1p-23f, 2.0f - 0x1p-23f}) variances.push_back(std::ldexp(f, e));
  }
  variances.push_back(1e-3f);
  for (SimdArch arch : supported_archs()) {
    const bool fused = arch != SimdArch::sse2;
    std::vector<float> g, m, v, w;
    for (float gi : grads) {
      for (float vi : variances) {
        for (float mi : {0.0f, 1e-3f, from_bits(3)}) {
          g.push_back(gi);
          v.push_back(vi);
          m.push_back(mi);
          w.push_back(0.05f);
        }
      }
    }
    std::vector<float> m_ref = m, v_ref = v, w_ref = w;
    for (std::size_t i = 0; i < g.size(); ++i)
      reference_adam(fused, g[i], m_ref[i], v_ref[i], w_ref[i], alpha, b1, b2, eps);
    AdamArgs a{w.data(), g.data(), m.data(), v.data(), &alpha, b1, b2, eps};
    kernel_table(arch).adam(a, 0, g.size());
    INFO(simd_arch_name(arch));
    REQUIRE(count_bit_differences(m, m_ref) == 0);
    REQUIRE(count_bit_differences(v, v_ref) == 0);
    REQUIRE(count_bit_differences(w, w_ref) == 0);
  }
}
