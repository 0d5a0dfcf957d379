// Adam over the flat parameter arena, Keras' form (epsilon added to sqrt(v), bias correction folded
// into alpha). Element-wise, so any split over threads or vector widths gives the same bits.
#pragma once

#include "kernels/cpu/kernels.h"
#include "kernels/cpu/simd_ops.h"

namespace trainer::cpu {
namespace {

template <class Arch>
void adam(const AdamArgs& a, std::size_t begin, std::size_t end) {
  using V = Vec<Arch>;
  constexpr std::size_t W = V::size;
  const float step_size = *a.alpha;
  const V alpha(step_size), omb1(a.one_minus_beta1), omb2(a.one_minus_beta2), eps(a.epsilon);
  std::size_t i = begin;
  for (; i + W <= end; i += W) {
    V g = V::load_unaligned(a.grads + i);
    V m = V::load_unaligned(a.m + i);
    V v = V::load_unaligned(a.v + i);
    V w = V::load_unaligned(a.params + i);
    m = madd<Arch>(g - m, omb1, m);
    v = madd<Arch>(g * g - v, omb2, v);
    w = w - (m * alpha) / (xsimd::sqrt(v) + eps);
    m.store_unaligned(a.m + i);
    v.store_unaligned(a.v + i);
    w.store_unaligned(a.params + i);
  }
  for (; i < end; ++i) {
    float g = a.grads[i];
    float m = madd_scalar<Arch>(g - a.m[i], a.one_minus_beta1, a.m[i]);
    float v = madd_scalar<Arch>(g * g - a.v[i], a.one_minus_beta2, a.v[i]);
    a.m[i] = m;
    a.v[i] = v;
    a.params[i] = a.params[i] - (m * step_size) / (__builtin_sqrtf(v) + a.epsilon);
  }
}

}  // namespace
}  // namespace trainer::cpu
