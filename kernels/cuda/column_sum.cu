// Bias gradient: one thread per column, rows added in ascending order from +0 (kernels/README.md).
#include "kernels/cuda/check.h"
#include "kernels/cuda/kernels.h"

namespace trainer::cuda {
namespace {

__global__ void column_sum_kernel(const float* x, int rows, int cols, float* out) {
  const int c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c >= cols) return;
  float sum = 0.0f;
  for (int r = 0; r < rows; ++r) sum = __fadd_rn(sum, x[static_cast<std::ptrdiff_t>(r) * cols + c]);
  out[c] = sum;
}

}  // namespace

void column_sum(const float* x, int rows, int cols, float* out, cudaStream_t stream) {
  if (cols == 0) return;
  column_sum_kernel<<<(cols + 127) / 128, 128, 0, stream>>>(x, rows, cols, out);
  CUDA_CHECK_LAUNCH();
}

}  // namespace trainer::cuda
