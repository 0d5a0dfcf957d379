// The arch's multiply-add peak: independent chains of madd in registers, nothing loaded or stored,
// so the only limit is the FMA units. `trainer bench` and bench/ report kernels against it.
#pragma once

#include "kernels/cpu/simd_ops.h"

namespace trainer::cpu {
namespace {

// Runs `iterations` rounds of kChains independent vector madds; returns the flops done (2 per
// lane per madd). *sink receives a value that depends on every chain, so none is optimised away.
template <class Arch>
std::int64_t fma_peak(std::int64_t iterations, float* sink) {
  using V = Vec<Arch>;
  // Enough chains to cover the FMA latency (4-5 cycles) on two ports, few enough for registers.
  constexpr int kChains = 12;
  V acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = V(1.0f + 0.001f * float(c));
  const V a(0.999999f), b(1e-7f);
  for (std::int64_t i = 0; i < iterations; ++i) {
    for (int c = 0; c < kChains; ++c) acc[c] = madd<Arch>(acc[c], a, b);
  }
  V total = acc[0];
  for (int c = 1; c < kChains; ++c) total = total + acc[c];
  float lanes[V::size];
  total.store_unaligned(lanes);
  float sum = 0.0f;
  for (float lane : lanes) sum += lane;
  *sink = sum;
  return iterations * kChains * std::int64_t(V::size) * 2;
}

}  // namespace
}  // namespace trainer::cpu
