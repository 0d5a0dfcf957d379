// GEMM with a fused epilogue, register-blocked: each tile keeps rows x (vectors x width)
// accumulators in registers and walks the reduction index p in ascending order, one fused
// multiply-add per step. Tiling changes only which elements are computed together, never the order
// within one element, so every arch width and every thread split gives the same bits
// (kernels/README.md).
#pragma once

#include "kernels/cpu/kernels.h"
#include "kernels/cpu/simd_ops.h"
#include "kernels/cpu/transpose_impl.h"

// Under AddressSanitizer the tile's inner loop is not instrumented: a check on each of its 14 loads
// per 24 multiply-adds made sanitizer runs of the model ~20x slower than release ones (the ASan
// suite spent 15 of its minutes in two tests). touch_tile_operands reads, instrumented, the first
// and last element of every row of A and of the B panel's first and last rows that the loop will
// read, so that an operand range that runs out of its buffer is still reported, with its stack.
#if defined(__SANITIZE_ADDRESS__)
#define TRAINER_KERNEL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TRAINER_KERNEL_ASAN 1
#endif
#endif
#if defined(TRAINER_KERNEL_ASAN)
#define TRAINER_UNINSTRUMENTED_LOOP __attribute__((no_sanitize("address", "undefined")))
#else
#define TRAINER_UNINSTRUMENTED_LOOP
#endif

namespace trainer::cpu {
namespace {

#if defined(TRAINER_KERNEL_ASAN)
__attribute__((noinline)) inline void touch_tile_operands(const GemmArgs& g, const float* b,
                                                          std::ptrdiff_t ldb, int r0, int rows,
                                                          int width) {
  if (g.depth <= 0) return;
  volatile float sink = 0.0f;
  for (int i = 0; i < rows; ++i) {
    const float* a = g.a + (r0 + i) * g.a_row_stride;
    sink = a[0];
    sink = a[(g.depth - 1) * g.a_depth_stride];
  }
  for (int j = 0; j < width; ++j) {
    sink = b[j];
    sink = b[(g.depth - 1) * ldb + j];
  }
  (void)sink;
}
#endif

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

// Stores a finished tile, epilogue applied; kept out of line (see gemm_tile).
template <class Arch, int MR, int NV>
__attribute__((noinline)) void gemm_store_tile(const GemmArgs& g, const float* tile, int r0,
                                               int c0) {
  using V = Vec<Arch>;
  constexpr int W = int(V::size);
  for (int i = 0; i < MR; ++i) {
    for (int j = 0; j < NV; ++j)
      gemm_store<Arch>(V::load_aligned(tile + i * NV * W + j * W), g, r0 + i, c0 + j * W);
  }
}

// One MR x (NV*W) tile of C. `b` points at B(0, c0) with row stride ldb: either B itself or a
// packed copy of its column panel.
template <class Arch, int MR, int NV>
TRAINER_UNINSTRUMENTED_LOOP void gemm_tile(const GemmArgs& g, const float* b, std::ptrdiff_t ldb,
                                           int r0, int c0) {
  using V = Vec<Arch>;
  using Raw = RawOps<Arch>;
  // Accumulators as the raw register type: GCC 12 keeps an array of xsimd batches partly on the
  // stack (a store and reload per multiply-add on the critical path), an array of registers not.
  using R = typename Raw::R;
  constexpr int W = int(V::size);
#if defined(TRAINER_KERNEL_ASAN)
  touch_tile_operands(g, b, ldb, r0, MR, NV * W);
#endif
  R acc[MR][NV];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 4
    for (int j = 0; j < NV; ++j) acc[i][j] = Raw::zero();
  }
  const float* a = g.a + r0 * g.a_row_stride;
#pragma GCC unroll 2
  for (int p = 0; p < g.depth; ++p) {
    R bv[NV];
#pragma GCC unroll 4
    for (int j = 0; j < NV; ++j) bv[j] = Raw::load(b + p * ldb + j * W);
    const float* ap = a + p * g.a_depth_stride;
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      const R av = Raw::broadcast(ap + i * g.a_row_stride);
#pragma GCC unroll 4
      for (int j = 0; j < NV; ++j) acc[i][j] = Raw::madd(av, bv[j], acc[i][j]);
    }
  }
  // The epilogue may call libm (sigmoid): accumulators live across no call, or GCC keeps them on
  // the stack for the whole loop. They go through memory once, here, instead.
  alignas(64) float tile[MR][NV * W];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 4
    for (int j = 0; j < NV; ++j) Raw::store_aligned(&tile[i][j * W], acc[i][j]);
  }
  gemm_store_tile<Arch, MR, NV>(g, &tile[0][0], r0, c0);
}

// A tile of `rows` (< MR) rows: pick the instantiation with exactly that many.
template <class Arch, int NV, int MR>
void gemm_tile_rows(int rows, const GemmArgs& g, const float* b, std::ptrdiff_t ldb, int r0,
                    int c0) {
  if constexpr (MR == 1) {
    gemm_tile<Arch, 1, NV>(g, b, ldb, r0, c0);
  } else {
    if (rows == MR) return gemm_tile<Arch, MR, NV>(g, b, ldb, r0, c0);
    gemm_tile_rows<Arch, NV, MR - 1>(rows, g, b, ldb, r0, c0);
  }
}

inline float b_element(const GemmArgs& g, int p, int c) {
  return g.b_transposed ? g.b[c * g.ldb + p] : g.b[p * g.ldb + c];
}

template <class Arch>
float gemm_element(const GemmArgs& g, int r, int c) {
  float acc = 0.0f;
  const float* a = g.a + r * g.a_row_stride;
  for (int p = 0; p < g.depth; ++p)
    acc = madd_scalar<Arch>(a[p * g.a_depth_stride], b_element(g, p, c), acc);
  return gemm_epilogue_scalar(acc, g, r, c);
}

// The column panel B(:, c0 .. c0+width) copied row by row into contiguous memory, so that a tile
// walks it with unit stride (one stream for the prefetcher, no page per row when ldb is large).
// A transposed B (a weight as stored) is transposed here, panel by panel, instead of in a pass of
// its own over the whole weight.
template <class Arch>
const float* pack_b_panel(const GemmArgs& g, int c0, int width) {
  float* out = gemm_pack_buffer(std::size_t(g.depth) * std::size_t(width));
  if (g.b_transposed) {
    transpose_block<Arch>(g.b + c0 * g.ldb, g.ldb, out, width, width, g.depth);
    return out;
  }
  for (int p = 0; p < g.depth; ++p) {
    const float* row = g.b + p * g.ldb + c0;
    for (int j = 0; j < width; ++j) out[p * width + j] = row[j];
  }
  return out;
}

template <class Arch, int NV>
void gemm_column_panel(const GemmArgs& g, Range rows, int c0) {
  constexpr int MR = ArchTraits<Arch>::gemm_rows;
  constexpr int width = NV * int(Vec<Arch>::size);
  // Packing pays once the panel serves more than one tile; a transposed B is always packed.
  const bool pack = rows.end - rows.begin > MR || g.b_transposed;
  const float* b = pack ? pack_b_panel<Arch>(g, c0, width) : g.b + c0;
  const std::ptrdiff_t ldb = pack ? width : g.ldb;
  int r = rows.begin;
  for (; r + MR <= rows.end; r += MR) gemm_tile<Arch, MR, NV>(g, b, ldb, r, c0);
  if (r < rows.end) gemm_tile_rows<Arch, NV, MR>(rows.end - r, g, b, ldb, r, c0);
}

template <class Arch>
void gemm(const GemmArgs& g, Range rows, Range cols) {
  constexpr int W = int(Vec<Arch>::size);
  constexpr int NV = ArchTraits<Arch>::gemm_vectors;
  int c = cols.begin;
  for (; c + NV * W <= cols.end; c += NV * W) gemm_column_panel<Arch, NV>(g, rows, c);
  if constexpr (NV > 2) {
    for (; c + 2 * W <= cols.end; c += 2 * W) gemm_column_panel<Arch, 2>(g, rows, c);
  }
  for (; c + W <= cols.end; c += W) gemm_column_panel<Arch, 1>(g, rows, c);
  for (; c < cols.end; ++c) {
    for (int r = rows.begin; r < rows.end; ++r) g.c[r * g.ldc + c] = gemm_element<Arch>(g, r, c);
  }
}

}  // namespace
}  // namespace trainer::cpu
