// Data movement: the batch gather with byte / 255 (IEEE division, the same 256 values as the CPU's
// table).
#include "kernels/cuda/check.h"
#include "kernels/cuda/kernels.h"

namespace trainer::cuda {
namespace {

__global__ void gather_normalize_kernel(const std::uint8_t* images, int width,
                                        const std::uint32_t* rows, int count, float* out) {
  const std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= static_cast<std::size_t>(count) * width) return;
  const std::size_t row = i / width, k = i % width;
  out[i] = __fdiv_rn(static_cast<float>(images[static_cast<std::size_t>(rows[row]) * width + k]),
                     255.0f);
}

}  // namespace

void gather_normalize(const std::uint8_t* images, int width, const std::uint32_t* rows, int count,
                      float* out, cudaStream_t stream) {
  const std::size_t total = static_cast<std::size_t>(count) * width;
  if (total == 0) return;
  gather_normalize_kernel<<<unsigned((total + 255) / 256), 256, 0, stream>>>(images, width, rows,
                                                                             count, out);
  CUDA_CHECK_LAUNCH();
}

}  // namespace trainer::cuda
