// Arch-independent helpers of the CPU kernels.
#include <memory>

#include "kernels/cpu/kernels.h"

namespace trainer::cpu {

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
