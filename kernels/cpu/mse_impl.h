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

// Row by row over the column range, each column's sum parked in column_sse between rows: a row's
// span of y, x and dz is contiguous, one stream per array for the prefetcher, where a walk down
// one column at a time touched a new cache line in every row (on an Intel host its share of a
// 1-thread epoch went from 4.9% to 4.3% of the samples, bench/RESULTS.md). Each column's sum still
// runs over the rows in ascending order, and a float parked in memory is the float in the register:
// the same bits either way.
template <class Arch>
void mse_backward(const MseArgs& m, Range cols) {
  using V = Vec<Arch>;
  constexpr int W = int(V::size);
  const V scale(m.scale);
  float* sse = m.column_sse;
  if (sse && !m.sse_continues) {
    for (int c = cols.begin; c < cols.end; ++c) sse[c] = 0.0f;
  }
  for (int r = 0; r < m.rows; ++r) {
    const std::ptrdiff_t row = std::ptrdiff_t(r) * m.cols;
    int c = cols.begin;
    for (; c + W <= cols.end; c += W) {
      const V y = V::load_unaligned(m.y + row + c);
      const V d = y - V::load_unaligned(m.x + row + c);
      if (sse) madd<Arch>(d, d, V::load_unaligned(sse + c)).store_unaligned(sse + c);
      if (m.dz)
        activation_backward<Arch>(y, d * scale, m.activation).store_unaligned(m.dz + row + c);
    }
    for (; c < cols.end; ++c) {
      const float y = m.y[row + c], d = y - m.x[row + c];
      if (sse) sse[c] = madd_scalar<Arch>(d, d, sse[c]);
      if (m.dz) m.dz[row + c] = activation_backward_scalar(y, d * m.scale, m.activation);
    }
  }
}

}  // namespace
}  // namespace trainer::cpu
