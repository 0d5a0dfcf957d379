// GEMM with a fused epilogue, register-blocked: each tile keeps rows x (vectors x width)
// accumulators in registers and walks the reduction index p in ascending order, one fused
// multiply-add per step. Tiling changes only which elements are computed together, never the order
// within one element, so every arch width and every thread split gives the same bits
// (kernels/README.md).
#pragma once

#include "kernels/cpu/kernels.h"
#include "kernels/cpu/simd_ops.h"

namespace trainer::cpu {
namespace {

inline float activate_scalar(float z, Activation activation) {
  switch (activation) {
    case Activation::relu:
      return relu_scalar(z);
    case Activation::sigmoid:
      return 1.0f / (1.0f + __builtin_expf(-z));
    case Activation::none:
      break;
  }
  return z;
}

inline float gemm_epilogue_scalar(float acc, const GemmArgs& g, int r, int c) {
  float z = g.bias ? acc + g.bias[c] : acc;
  z = activate_scalar(z, g.activation);
  if (g.mask && !(g.mask[r * g.ldmask + c] > 0.0f)) z = 0.0f;
  return z;
}

template <class Arch>
inline void gemm_store(Vec<Arch> acc, const GemmArgs& g, int r, int c) {
  using V = Vec<Arch>;
  float* out = g.c + r * g.ldc + c;
  if (g.activation == Activation::sigmoid) {
    // exp has no bit-reproducible SIMD form shared with CUDA; use libm per lane.
    alignas(64) float lanes[V::size];
    acc.store_aligned(lanes);
    for (std::size_t i = 0; i < V::size; ++i)
      out[i] = gemm_epilogue_scalar(lanes[i], g, r, c + int(i));
    return;
  }
  V z = g.bias ? acc + V::load_unaligned(g.bias + c) : acc;
  if (g.activation == Activation::relu) z = relu<Arch>(z);
  if (g.mask) {
    V mask = V::load_unaligned(g.mask + r * g.ldmask + c);
    z = xsimd::select(mask > V(0.0f), z, V(0.0f));
  }
  z.store_unaligned(out);
}

template <class Arch, int MR, int NV>
void gemm_tile(const GemmArgs& g, int r0, int c0) {
  using V = Vec<Arch>;
  constexpr int W = int(V::size);
  V acc[MR][NV];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 4
    for (int j = 0; j < NV; ++j) acc[i][j] = V(0.0f);
  }
  const float* a = g.a + r0 * g.a_row_stride;
  const float* b = g.b + c0;
  for (int p = 0; p < g.depth; ++p) {
    V bv[NV];
#pragma GCC unroll 4
    for (int j = 0; j < NV; ++j) bv[j] = V::load_unaligned(b + p * g.ldb + j * W);
    const float* ap = a + p * g.a_depth_stride;
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      V av(ap[i * g.a_row_stride]);
#pragma GCC unroll 4
      for (int j = 0; j < NV; ++j) acc[i][j] = madd<Arch>(av, bv[j], acc[i][j]);
    }
  }
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 4
    for (int j = 0; j < NV; ++j) gemm_store<Arch>(acc[i][j], g, r0 + i, c0 + j * W);
  }
}

// A tile of `rows` (< MR) rows: pick the instantiation with exactly that many.
template <class Arch, int NV, int MR>
void gemm_tile_rows(int rows, const GemmArgs& g, int r0, int c0) {
  if constexpr (MR == 1) {
    gemm_tile<Arch, 1, NV>(g, r0, c0);
  } else {
    if (rows == MR) return gemm_tile<Arch, MR, NV>(g, r0, c0);
    gemm_tile_rows<Arch, NV, MR - 1>(rows, g, r0, c0);
  }
}

template <class Arch>
float gemm_element(const GemmArgs& g, int r, int c) {
  float acc = 0.0f;
  const float* a = g.a + r * g.a_row_stride;
  for (int p = 0; p < g.depth; ++p)
    acc = madd_scalar<Arch>(a[p * g.a_depth_stride], g.b[p * g.ldb + c], acc);
  return gemm_epilogue_scalar(acc, g, r, c);
}

template <class Arch, int NV>
void gemm_column_panel(const GemmArgs& g, Range rows, int c0) {
  constexpr int MR = ArchTraits<Arch>::gemm_rows;
  int r = rows.begin;
  for (; r + MR <= rows.end; r += MR) gemm_tile<Arch, MR, NV>(g, r, c0);
  if (r < rows.end) gemm_tile_rows<Arch, NV, MR>(rows.end - r, g, r, c0);
}

template <class Arch>
void gemm(const GemmArgs& g, Range rows, Range cols) {
  constexpr int W = int(Vec<Arch>::size);
  int c = cols.begin;
  for (; c + 2 * W <= cols.end; c += 2 * W) gemm_column_panel<Arch, 2>(g, rows, c);
  for (; c + W <= cols.end; c += W) gemm_column_panel<Arch, 1>(g, rows, c);
  for (; c < cols.end; ++c) {
    for (int r = rows.begin; r < rows.end; ++r) g.c[r * g.ldc + c] = gemm_element<Arch>(g, r, c);
  }
}

}  // namespace
}  // namespace trainer::cpu
