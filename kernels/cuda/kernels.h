// The CUDA kernels' launchers: the same ops and arguments as the CPU kernels (kernels/op_args.h),
// the same operation order (kernels/README.md), so that results are bit-identical to the CPU's
// avx2/avx512 path. All pointers are device pointers; launches are asynchronous on `stream`.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

#include "kernels/op_args.h"

namespace trainer::cuda {

// The product, its epilogue, and the fused row sums and Adam step of kernels/op_args.h.
void gemm(const GemmArgs& args, cudaStream_t stream);
void column_sum(const float* x, int rows, int cols, float* out, cudaStream_t stream);
void mse_backward(const MseArgs& args, cudaStream_t stream);
void sum(const float* x, int count, float* out, cudaStream_t stream);
void adam(const AdamArgs& args, std::size_t count, cudaStream_t stream);
void gather_normalize(const std::uint8_t* images, int width, const std::uint32_t* rows, int count,
                      float* out, cudaStream_t stream);

}  // namespace trainer::cuda
