// MSE loss and output gradient: one thread per column, rows in ascending order (kernels/README.md).
#include "kernels/cuda/check.h"
#include "kernels/cuda/kernels.h"

namespace trainer::cuda {
namespace {

__global__ void mse_backward_kernel(MseArgs m) {
  const int c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c >= m.cols) return;
  float sse = m.column_sse && m.sse_continues ? m.column_sse[c] : 0.0f;
  for (int r = 0; r < m.rows; ++r) {
    const std::ptrdiff_t at = static_cast<std::ptrdiff_t>(r) * m.cols + c;
    const float y = m.y[at];
    const float d = __fsub_rn(y, m.x[at]);
    sse = __fmaf_rn(d, d, sse);
    if (!m.dz) continue;
    const float dy = __fmul_rn(d, m.scale);
    float dz = dy;
    if (m.activation == Activation::relu) dz = y > 0.0f ? dy : 0.0f;
    if (m.activation == Activation::sigmoid) dz = __fmul_rn(__fmul_rn(dy, y), __fsub_rn(1.0f, y));
    m.dz[at] = dz;
  }
  if (m.column_sse) m.column_sse[c] = sse;
}

}  // namespace

void mse_backward(const MseArgs& args, cudaStream_t stream) {
  if (args.cols == 0) return;
  mse_backward_kernel<<<(args.cols + 127) / 128, 128, 0, stream>>>(args);
  CUDA_CHECK_LAUNCH();
}

}  // namespace trainer::cuda
