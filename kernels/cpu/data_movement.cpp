// Arch-independent helpers of the CPU kernels.
#include <cstdlib>
#include <memory>
#include <new>

#include "kernels/cpu/kernels.h"

namespace trainer::cpu {

namespace {
struct FreeDeleter {
  void operator()(float* p) const { std::free(p); }
};
}  // namespace

// 64-byte aligned, so that a packed panel's rows (a multiple of 64 bytes wide) start on cache
// lines: each 512-bit load of the tile then touches one line, not two. On an Intel host, 16-byte
// aligned panels (what new[] gives) cost the in-L1 micro-kernel 6-10%.
float* gemm_pack_buffer(std::size_t floats) {
  thread_local std::unique_ptr<float, FreeDeleter> buffer;
  thread_local std::size_t capacity = 0;
  if (floats > capacity) {
    const std::size_t bytes = (floats * sizeof(float) + 63) / 64 * 64;
    float* p = static_cast<float*>(std::aligned_alloc(64, bytes));
    if (!p) throw std::bad_alloc();
    buffer.reset(p);
    capacity = floats;
  }
  return buffer.get();
}

}  // namespace trainer::cpu
