// Data movement: the weight transpose and the batch gather with byte / 255 (IEEE division, the
// same 256 values as the CPU's table).
#include "kernels/cuda/check.h"
#include "kernels/cuda/kernels.h"

namespace trainer::cuda {
namespace {

constexpr int kTile = 32;

__global__ void transpose_kernel(const float* in, int rows, int cols, float* out) {
  __shared__ float tile[kTile][kTile + 1];
  const int c = blockIdx.x * kTile + threadIdx.x;
  for (int dy = threadIdx.y; dy < kTile; dy += blockDim.y) {
    const int r = blockIdx.y * kTile + dy;
    if (r < rows && c < cols) tile[dy][threadIdx.x] = in[static_cast<std::ptrdiff_t>(r) * cols + c];
  }
  __syncthreads();
  const int r = blockIdx.y * kTile + threadIdx.x;
  for (int dy = threadIdx.y; dy < kTile; dy += blockDim.y) {
    const int oc = blockIdx.x * kTile + dy;
    if (oc < cols && r < rows)
      out[static_cast<std::ptrdiff_t>(oc) * rows + r] = tile[threadIdx.x][dy];
  }
}

__global__ void gather_normalize_kernel(const std::uint8_t* images, int width,
                                        const std::uint32_t* rows, int count, float* out) {
  const std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= static_cast<std::size_t>(count) * width) return;
  const std::size_t row = i / width, k = i % width;
  out[i] = __fdiv_rn(static_cast<float>(images[static_cast<std::size_t>(rows[row]) * width + k]),
                     255.0f);
}

}  // namespace

void transpose(const float* in, int rows, int cols, float* out, cudaStream_t stream) {
  if (rows == 0 || cols == 0) return;
  const dim3 grid((cols + kTile - 1) / kTile, (rows + kTile - 1) / kTile), block(kTile, 8);
  transpose_kernel<<<grid, block, 0, stream>>>(in, rows, cols, out);
  CUDA_CHECK_LAUNCH();
}

void gather_normalize(const std::uint8_t* images, int width, const std::uint32_t* rows, int count,
                      float* out, cudaStream_t stream) {
  const std::size_t total = static_cast<std::size_t>(count) * width;
  if (total == 0) return;
  gather_normalize_kernel<<<unsigned((total + 255) / 256), 256, 0, stream>>>(images, width, rows,
                                                                             count, out);
  CUDA_CHECK_LAUNCH();
}

}  // namespace trainer::cuda
