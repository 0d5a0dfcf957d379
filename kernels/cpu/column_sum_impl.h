// Column sums (the bias gradient): each column added in ascending row order from +0, plain adds.
#pragma once

#include "kernels/cpu/kernels.h"
#include "kernels/cpu/simd_ops.h"

namespace trainer::cpu {
namespace {

template <class Arch>
void column_sum(const float* x, int rows, std::ptrdiff_t ld, float* out, Range cols) {
  using V = Vec<Arch>;
  constexpr int W = int(V::size);
  int c = cols.begin;
  for (; c + W <= cols.end; c += W) {
    V sum(0.0f);
    for (int r = 0; r < rows; ++r) sum = sum + V::load_unaligned(x + r * ld + c);
    sum.store_unaligned(out + c);
  }
  for (; c < cols.end; ++c) {
    float sum = 0.0f;
    for (int r = 0; r < rows; ++r) sum = sum + x[r * ld + c];
    out[c] = sum;
  }
}

}  // namespace
}  // namespace trainer::cpu
