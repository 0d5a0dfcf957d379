// The CPU kernels' interface. Each kernel computes a sub-range of its output so that the caller can
// spread the work over threads; every output element is computed the same way whichever range or
// thread it falls in (see kernels/README.md for the exact operation order).
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/cpu/simd_arch.h"
#include "kernels/op_args.h"

namespace trainer::cpu {

using trainer::Activation;
using trainer::AdamArgs;
using trainer::GemmArgs;
using trainer::MseArgs;

struct Range {
  int begin = 0, end = 0;
};

// One arch's kernels. Ranges are over output rows/columns (gemm), columns (column_sum, mse) or
// elements (adam); the caller splits them, never a reduction.
struct KernelTable {
  SimdArch arch;
  void (*gemm)(const GemmArgs& args, Range rows, Range cols);
  // out[c] = sum_{r ascending} x[r*ld + c], plain adds: the bias gradient.
  void (*column_sum)(const float* x, int rows, std::ptrdiff_t ld, float* out, Range cols);
  void (*mse_backward)(const MseArgs& args, Range cols);
  void (*adam)(const AdamArgs& args, std::size_t begin, std::size_t end);
  // adam over columns `cols` of rows `rows` of a [*, ld] parameter matrix, set up once.
  void (*adam_block)(const AdamArgs& args, Range rows, Range cols, std::ptrdiff_t ld);
  // Benchmark only: `iterations` rounds of register-resident madds; returns the flops done.
  std::int64_t (*fma_peak)(std::int64_t iterations, float* sink);
  // out[i, :] = images[rows[i], :] / 255 as float32 (IEEE division, exactly what CUDA computes),
  // rows i of the range.
  void (*gather_normalize)(const std::uint8_t* images, int width, const std::uint32_t* rows,
                           float* out, Range row_range);
};

const KernelTable& kernel_table(SimdArch arch);

// Scratch memory for packing GEMM panels: the calling thread's own buffer of at least `floats`
// floats, which only grows, so steady-state steps do not allocate. Defined in an arch-independent
// TU: the per-arch ones must not emit shared inline code (simd_ops.h).
float* gemm_pack_buffer(std::size_t floats);

}  // namespace trainer::cpu
