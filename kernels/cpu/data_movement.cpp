// Kernels that only move or convert data: no accumulation, so one portable version serves all
// archs.
#include <array>
#include <memory>

#include "kernels/cpu/kernels.h"

namespace trainer::cpu {

namespace {
// byte / 255 by IEEE float division, looked up: identical to computing it, 256 times cheaper.
const std::array<float, 256>& normalized_bytes() {
  static const std::array<float, 256> table = [] {
    std::array<float, 256> t{};
    for (int i = 0; i < 256; ++i) t[i] = float(i) / 255.0f;
    return t;
  }();
  return table;
}
}  // namespace

void gather_normalize(const std::uint8_t* images, int width, const std::uint32_t* rows, float* out,
                      Range row_range) {
  const std::array<float, 256>& table = normalized_bytes();
  for (int i = row_range.begin; i < row_range.end; ++i) {
    const std::uint8_t* src = images + std::size_t(rows[i]) * width;
    float* dst = out + std::ptrdiff_t(i) * width;
    for (int k = 0; k < width; ++k) dst[k] = table[src[k]];
  }
}

float* gemm_pack_buffer(std::size_t floats) {
  thread_local std::unique_ptr<float[]> buffer;
  thread_local std::size_t capacity = 0;
  if (floats > capacity) {
    buffer.reset(new float[floats]);
    capacity = floats;
  }
  return buffer.get();
}

}  // namespace trainer::cpu
