#include "backend/cpu_backend.h"

#include <cstdlib>
#include <cstring>
#include <new>

namespace trainer {
namespace {

// Work-split granularity. GEMM blocks are multiples of every arch's register tile (rows: 6 and 12,
// columns: 8, 16 and 32) so that splitting adds no ragged edges inside the kernels.
constexpr int kGemmRowUnit = 12;
constexpr int kGemmColUnit = 32;
constexpr int kColumnBlock = 64;
constexpr int kRowBlock = 16;
constexpr std::size_t kElementBlock = 16384;

int blocks(std::size_t extent, std::size_t block) {
  return int((extent + block - 1) / block);
}
cpu::Range block_range(int index, int block, int extent) {
  const int begin = index * block;
  return {begin, begin + block < extent ? begin + block : extent};
}

// How to cut a GEMM's output into row x column blocks for `threads` threads: the blocks are few
// and large (each packs its B panels once and reuses them over all its rows) and as even as the
// register tiles allow. Tries 1 to 3 rounds of `threads` tasks and keeps the split whose slowest
// round is shortest, preferring fewer tasks, then fewer column blocks.
struct GemmSplit {
  int row_block = 0, col_block = 0, row_blocks = 1, col_blocks = 1;
};

GemmSplit split_gemm(int rows, int cols, int threads) {
  const int row_units = blocks(std::size_t(rows), kGemmRowUnit);
  const int col_units = blocks(std::size_t(cols), kGemmColUnit);
  GemmSplit best;
  long best_cost = -1;
  for (int rounds = 1; rounds <= 3; ++rounds) {
    const int tasks = threads * rounds;
    // Row splits first: on a tie, whole-width blocks pack each B panel once per block.
    for (int r = tasks; r >= 1; --r) {
      if (tasks % r != 0 || r > row_units || tasks / r > col_units) continue;
      const int c = tasks / r;
      const int rows_each = blocks(std::size_t(row_units), std::size_t(r));
      const int cols_each = blocks(std::size_t(col_units), std::size_t(c));
      const long cost = long(rounds) * rows_each * cols_each;
      if (best_cost < 0 || cost < best_cost) {
        best_cost = cost;
        best = {rows_each * kGemmRowUnit, cols_each * kGemmColUnit,
                blocks(std::size_t(rows), std::size_t(rows_each * kGemmRowUnit)),
                blocks(std::size_t(cols), std::size_t(cols_each * kGemmColUnit))};
      }
    }
  }
  if (best_cost < 0) best = {rows, cols, 1, 1};  // smaller than one unit per thread
  return best;
}

}  // namespace

CpuBackend::CpuBackend(cpu::SimdArch arch, int threads, std::string threads_from)
    : threads_from_(std::move(threads_from)), kernels_(cpu::kernel_table(arch)), pool_(threads) {}

CpuBackend::~CpuBackend() {
  for (void* p : allocations_) std::free(p);
}

std::string CpuBackend::description() const {
  return std::string("cpu (") + cpu::simd_arch_name(kernels_.arch) + ", " +
         std::to_string(threads()) + (threads() == 1 ? " thread" : " threads") +
         (threads_from_.empty() ? "" : ", " + threads_from_) + ")";
}

void* CpuBackend::allocate(std::size_t bytes) {
  const std::size_t rounded = (bytes + 63) / 64 * 64;
  void* p = std::aligned_alloc(64, rounded ? rounded : 64);
  if (!p) throw std::bad_alloc();
  std::memset(p, 0, rounded);
  allocations_.push_back(p);
  return p;
}

void CpuBackend::upload(void* device_dst, const void* host_src, std::size_t bytes) {
  std::memcpy(device_dst, host_src, bytes);
}

void CpuBackend::download(void* host_dst, const void* device_src, std::size_t bytes) {
  std::memcpy(host_dst, device_src, bytes);
}

void CpuBackend::gather_normalize(const std::uint8_t* images, int width, const std::uint32_t* rows,
                                  int count, float* out) {
  pool_.run(blocks(count, kRowBlock), [&](int i) {
    cpu::gather_normalize(images, width, rows, out, block_range(i, kRowBlock, count));
  });
}

void CpuBackend::transpose(const float* in, int rows, int cols, float* out) {
  pool_.run(blocks(rows, 32),
            [&](int i) { kernels_.transpose(in, rows, cols, out, block_range(i, 32, rows)); });
}

void CpuBackend::gemm(const GemmArgs& args) {
  const GemmSplit split = split_gemm(args.rows, args.cols, threads());
  pool_.run(split.row_blocks * split.col_blocks, [&](int i) {
    kernels_.gemm(args, block_range(i / split.col_blocks, split.row_block, args.rows),
                  block_range(i % split.col_blocks, split.col_block, args.cols));
  });
}

void CpuBackend::column_sum(const float* x, int rows, int cols, float* out) {
  pool_.run(blocks(cols, kColumnBlock), [&](int i) {
    kernels_.column_sum(x, rows, cols, out, block_range(i, kColumnBlock, cols));
  });
}

void CpuBackend::mse_backward(const MseArgs& args) {
  pool_.run(blocks(args.cols, kColumnBlock),
            [&](int i) { kernels_.mse_backward(args, block_range(i, kColumnBlock, args.cols)); });
}

void CpuBackend::sum(const float* x, int count, float* out) {
  float total = 0.0f;
  for (int i = 0; i < count; ++i) total = total + x[i];
  *out = total;
}

void CpuBackend::adam(const AdamArgs& args, std::size_t count) {
  pool_.run(blocks(count, kElementBlock), [&](int i) {
    const std::size_t begin = std::size_t(i) * kElementBlock;
    kernels_.adam(args, begin, begin + kElementBlock < count ? begin + kElementBlock : count);
  });
}

}  // namespace trainer
