// GEMM with the fused epilogue, tiled through shared memory. Each thread owns TM x TN outputs, each
// with one accumulator that walks the reduction index in ascending order from +0 with __fmaf_rn:
// exactly the CPU's order (kernels/README.md), hence the same bits. No split-K, no atomics, and
// the last depth tile stops at `depth`: an accumulator can be -0 (fma(a, b, +0) rounds to -0 when
// a*b is negative and underflows), and a padded step fma(0, b, -0) = +0 would change its sign
// (tests/unit/test_cuda_kernels.cpp checks it).
#include "kernels/cuda/check.h"
#include "kernels/cuda/kernels.h"

#include <stdexcept>

namespace trainer::cuda {
namespace {

constexpr int BM = 32, BN = 32, BK = 32, TM = 2, TN = 2;
constexpr int kThreads = (BM / TM) * (BN / TN);

__device__ float epilogue(float acc, const GemmArgs& g, int r, int c) {
  float z = g.bias ? __fadd_rn(acc, g.bias[c]) : acc;
  if (g.activation == Activation::relu) {
    z = z > 0.0f ? z : 0.0f;
  } else if (g.activation == Activation::sigmoid) {
    z = __fdiv_rn(1.0f, __fadd_rn(1.0f, expf(-z)));  // not bit-identical to libm: documented
  }
  if (g.mask && !(g.mask[static_cast<std::ptrdiff_t>(r) * g.ldmask + c] > 0.0f)) z = 0.0f;
  return z;
}

__global__ void __launch_bounds__(kThreads) gemm_kernel(GemmArgs g) {
  __shared__ float a_tile[BK][BM];
  __shared__ float b_tile[BK][BN + 1];
  const int r0 = blockIdx.y * BM, c0 = blockIdx.x * BN;
  const int tc = threadIdx.x % (BN / TN), tr = threadIdx.x / (BN / TN);
  // Rows and columns of this thread, strided so that a warp reads shared memory without conflicts.
  float acc[TM][TN];
#pragma unroll
  for (int i = 0; i < TM; ++i) {
#pragma unroll
    for (int j = 0; j < TN; ++j) acc[i][j] = 0.0f;
  }
  const bool a_depth_contiguous = g.a_depth_stride == 1;
  for (int p0 = 0; p0 < g.depth; p0 += BK) {
    for (int i = threadIdx.x; i < BM * BK; i += kThreads) {
      // Read along whichever dimension of A is contiguous in memory.
      const int rr = a_depth_contiguous ? i / BK : i % BM;
      const int pp = a_depth_contiguous ? i % BK : i / BM;
      const int r = r0 + rr, p = p0 + pp;
      a_tile[pp][rr] =
          (r < g.rows && p < g.depth) ? g.a[r * g.a_row_stride + p * g.a_depth_stride] : 0.0f;
    }
    for (int i = threadIdx.x; i < BK * BN; i += kThreads) {
      // A weight read as stored (b_transposed) is contiguous along the depth.
      const int pp = g.b_transposed ? i % BK : i / BN;
      const int cc = g.b_transposed ? i / BK : i % BN;
      const int p = p0 + pp, c = c0 + cc;
      const std::ptrdiff_t at = g.b_transposed ? static_cast<std::ptrdiff_t>(c) * g.ldb + p
                                               : static_cast<std::ptrdiff_t>(p) * g.ldb + c;
      b_tile[pp][cc] = (p < g.depth && c < g.cols) ? g.b[at] : 0.0f;
    }
    __syncthreads();
    const int steps = g.depth - p0 < BK ? g.depth - p0 : BK;
    for (int pp = 0; pp < steps; ++pp) {
      float a[TM], b[TN];
#pragma unroll
      for (int i = 0; i < TM; ++i) a[i] = a_tile[pp][tr + i * (BM / TM)];
#pragma unroll
      for (int j = 0; j < TN; ++j) b[j] = b_tile[pp][tc + j * (BN / TN)];
#pragma unroll
      for (int i = 0; i < TM; ++i) {
#pragma unroll
        for (int j = 0; j < TN; ++j) acc[i][j] = __fmaf_rn(a[i], b[j], acc[i][j]);
      }
    }
    __syncthreads();
  }
#pragma unroll
  for (int i = 0; i < TM; ++i) {
#pragma unroll
    for (int j = 0; j < TN; ++j) {
      const int r = r0 + tr + i * (BM / TM), c = c0 + tc + j * (BN / TN);
      if (r < g.rows && c < g.cols)
        g.c[static_cast<std::ptrdiff_t>(r) * g.ldc + c] = epilogue(acc[i][j], g, r, c);
    }
  }
}

}  // namespace

void gemm(const GemmArgs& args, cudaStream_t stream) {
  if (args.rows == 0 || args.cols == 0) return;
  // The fused parts (kernels/op_args.h) are kernels of their own here, launched after the product
  // on the same stream: the same per-element operations as the CPU's fused loop, in the same order.
  if (args.row_sums && (args.a_row_stride != 1 || args.a_depth_stride != args.rows))
    throw std::logic_error("gemm: row sums need A stored as [depth, rows]");
  if (args.adam && args.ldc != args.cols)
    throw std::logic_error("gemm: a fused Adam step needs C without padding");
  const dim3 grid((args.cols + BN - 1) / BN, (args.rows + BM - 1) / BM);
  gemm_kernel<<<grid, kThreads, 0, stream>>>(args);
  CUDA_CHECK_LAUNCH();
  // Row r of A is column r of the stored [depth, rows] matrix.
  if (args.row_sums) column_sum(args.a, args.depth, args.rows, args.row_sums, stream);
  if (!args.adam) return;
  AdamArgs weights = args.adam_c;
  weights.grads = args.c;
  adam(weights, static_cast<std::size_t>(args.rows) * args.cols, stream);
  if (!args.row_sums) return;
  AdamArgs biases = args.adam_rows;
  biases.grads = args.row_sums;
  adam(biases, static_cast<std::size_t>(args.rows), stream);
}

}  // namespace trainer::cuda
