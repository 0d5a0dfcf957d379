// MSE loss and its gradient through the output activation, vectorised over columns so that each
// column's squared-error sum runs over rows in ascending order (kernels/README.md).
#pragma once

#include "kernels/cpu/kernels.h"
#include "kernels/cpu/simd_ops.h"

namespace trainer::cpu {
namespace {

// dL/dz from dL/dy and the stored output y = act(z).
template <class Arch>
inline Vec<Arch> activation_backward(Vec<Arch> y, Vec<Arch> dy, Activation activation) {
  using V = Vec<Arch>;
  switch (activation) {
    case Activation::relu:
      return xsimd::select(y > V(0.0f), dy, V(0.0f));
    case Activation::sigmoid:
      return (dy * y) * (V(1.0f) - y);
    case Activation::none:
      break;
  }
  return dy;
}

inline float activation_backward_scalar(float y, float dy, Activation activation) {
  switch (activation) {
    case Activation::relu:
      return y > 0.0f ? dy : 0.0f;
    case Activation::sigmoid:
      return (dy * y) * (1.0f - y);
    case Activation::none:
      break;
  }
  return dy;
}

template <class Arch>
void mse_backward(const MseArgs& m, Range cols) {
  using V = Vec<Arch>;
  constexpr int W = int(V::size);
  const V scale(m.scale);
  int c = cols.begin;
  for (; c + W <= cols.end; c += W) {
    V sse(0.0f);
    for (int r = 0; r < m.rows; ++r) {
      const std::ptrdiff_t at = std::ptrdiff_t(r) * m.cols + c;
      V y = V::load_unaligned(m.y + at);
      V d = y - V::load_unaligned(m.x + at);
      sse = madd<Arch>(d, d, sse);
      if (m.dz) activation_backward<Arch>(y, d * scale, m.activation).store_unaligned(m.dz + at);
    }
    if (m.column_sse) sse.store_unaligned(m.column_sse + c);
  }
  for (; c < cols.end; ++c) {
    float sse = 0.0f;
    for (int r = 0; r < m.rows; ++r) {
      const std::ptrdiff_t at = std::ptrdiff_t(r) * m.cols + c;
      float d = m.y[at] - m.x[at];
      sse = madd_scalar<Arch>(d, d, sse);
      if (m.dz) m.dz[at] = activation_backward_scalar(m.y[at], d * m.scale, m.activation);
    }
    if (m.column_sse) m.column_sse[c] = sse;
  }
}

}  // namespace
}  // namespace trainer::cpu
