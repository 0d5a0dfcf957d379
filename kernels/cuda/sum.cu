// The batch loss: column partial sums added left to right by one thread. Sequential on purpose:
// it is the documented order, and 784 adds are nothing next to a GEMM.
#include "kernels/cuda/check.h"
#include "kernels/cuda/kernels.h"

namespace trainer::cuda {
namespace {

__global__ void sum_kernel(const float* x, int count, float* out) {
  float total = 0.0f;
  for (int i = 0; i < count; ++i) total = __fadd_rn(total, x[i]);
  *out = total;
}

}  // namespace

void sum(const float* x, int count, float* out, cudaStream_t stream) {
  sum_kernel<<<1, 1, 0, stream>>>(x, count, out);
  CUDA_CHECK_LAUNCH();
}

}  // namespace trainer::cuda
