// Adam over the flat parameter block, Keras' form, element-wise: the CPU's operations one for one
// (kernels/README.md), with IEEE square root and division.
#include "kernels/cuda/check.h"
#include "kernels/cuda/kernels.h"

namespace trainer::cuda {
namespace {

__global__ void adam_kernel(AdamArgs a, std::size_t count) {
  const std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= count) return;
  const float g = a.grads[i];
  const float m = __fmaf_rn(__fsub_rn(g, a.m[i]), a.one_minus_beta1, a.m[i]);
  const float v = __fmaf_rn(__fsub_rn(__fmul_rn(g, g), a.v[i]), a.one_minus_beta2, a.v[i]);
  a.m[i] = m;
  a.v[i] = v;
  a.params[i] = __fsub_rn(a.params[i],
                          __fdiv_rn(__fmul_rn(m, *a.alpha), __fadd_rn(__fsqrt_rn(v), a.epsilon)));
}

}  // namespace

void adam(const AdamArgs& args, std::size_t count, cudaStream_t stream) {
  if (count == 0) return;
  adam_kernel<<<unsigned((count + 255) / 256), 256, 0, stream>>>(args, count);
  CUDA_CHECK_LAUNCH();
}

}  // namespace trainer::cuda
