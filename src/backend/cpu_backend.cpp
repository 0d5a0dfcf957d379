#include "backend/cpu_backend.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>

namespace trainer {
namespace {

// Work-split granularity. GEMM blocks are multiples of every arch's register tile (rows: 6;
// columns: 8, 16 and 64) so that splitting adds no ragged edges inside the kernels. Rows in
// twelves, not sixes: a weight gradient of 128 rows then splits its columns in two (each task packs
// half of B) instead of its rows (each packs all of it): 6 measured 4% slower at 2 threads.
constexpr int kGemmRowUnit = 12;
constexpr int kGemmColUnit = 64;
constexpr int kColumnBlock = 64;
constexpr int kRowBlock = 16;

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

namespace {
// Set while this thread runs a row chunk: its ops run here, serially, on the chunk alone.
thread_local bool in_row_chunk = false;
}  // namespace

int CpuBackend::parallelism() const {
  return in_row_chunk ? 1 : threads();
}

void CpuBackend::run_tasks(int count, std::function<void(int)> task) {
  if (in_row_chunk) {
    for (int i = 0; i < count; ++i) task(i);
  } else if (deferring_) {
    deferred_.push_back({count, std::move(task)});
  } else {
    pool_.run(count, task);
  }
}

void CpuBackend::for_row_chunks(int rows, const std::function<void(int begin, int end)>& body) {
  if (in_row_chunk || deferring_) throw std::logic_error("for_row_chunks: nested");
  // One chunk per thread, as even as rows allow: each element's operations do not depend on
  // where the chunks are cut, so neither do the results.
  const int chunks = rows < threads() ? (rows > 0 ? rows : 1) : threads();
  pool_.run(chunks, [&](int i) {
    in_row_chunk = true;
    try {
      body(int(std::int64_t(rows) * i / chunks), int(std::int64_t(rows) * (i + 1) / chunks));
    } catch (...) {
      in_row_chunk = false;
      throw;
    }
    in_row_chunk = false;
  });
}

void CpuBackend::independent(const std::function<void()>& body) {
  if (in_row_chunk || deferring_) throw std::logic_error("independent: nested");
  deferring_ = true;
  try {
    body();
  } catch (...) {
    deferring_ = false;
    deferred_.clear();
    throw;
  }
  deferring_ = false;
  std::vector<Tasks> ops = std::move(deferred_);
  deferred_.clear();
  std::vector<int> first;  // index of each op's first task in the region
  int total = 0;
  for (const Tasks& op : ops) {
    first.push_back(total);
    total += op.count;
  }
  pool_.run(total, [&](int i) {
    std::size_t op = ops.size() - 1;
    while (first[op] > i) --op;
    ops[op].task(i - first[op]);
  });
}

void CpuBackend::gather_normalize(const std::uint8_t* images, int width, const std::uint32_t* rows,
                                  int count, float* out) {
  const cpu::KernelTable& kernels = kernels_;
  run_tasks(blocks(count, kRowBlock), [=, &kernels](int i) {
    kernels.gather_normalize(images, width, rows, out, block_range(i, kRowBlock, count));
  });
}

void CpuBackend::gemm(const GemmArgs& args) {
  if (args.row_sums && args.a_row_stride != 1)
    throw std::logic_error("gemm: row sums need A stored transposed (a_row_stride 1)");
  const GemmSplit split = split_gemm(args.rows, args.cols, parallelism());
  AdamArgs weights = args.adam_c, biases = args.adam_rows;
  weights.grads = args.c;
  biases.grads = args.row_sums;
  const cpu::KernelTable& kernels = kernels_;
  run_tasks(split.row_blocks * split.col_blocks, [=, &kernels](int i) {
    const cpu::Range rows = block_range(i / split.col_blocks, split.row_block, args.rows);
    const cpu::Range cols = block_range(i % split.col_blocks, split.col_block, args.cols);
    kernels.gemm(args, rows, cols);
    // The fused work runs on the block this task just wrote, while it is in this core's cache, and
    // in the same parallel region: no pass of its own over the gradients, no barrier between.
    const bool first_column_block = i % split.col_blocks == 0;
    if (args.row_sums && first_column_block)
      kernels.column_sum(args.a, args.depth, args.a_depth_stride, args.row_sums, rows);
    if (!args.adam) return;
    kernels.adam_block(weights, rows, cols, args.ldc);
    if (args.row_sums && first_column_block)
      kernels.adam(biases, std::size_t(rows.begin), std::size_t(rows.end));
  });
}

void CpuBackend::mse_backward(const MseArgs& args) {
  const cpu::KernelTable& kernels = kernels_;
  // On one thread (or inside a row chunk) whole rows: the kernel walks them row by row, and a row's
  // full width is one contiguous stream per array.
  const int block = parallelism() == 1 ? std::max(args.cols, 1) : kColumnBlock;
  run_tasks(blocks(args.cols, block),
            [=, &kernels](int i) { kernels.mse_backward(args, block_range(i, block, args.cols)); });
}

void CpuBackend::sum(const float* x, int count, float* out) {
  float total = 0.0f;
  for (int i = 0; i < count; ++i) total = total + x[i];
  *out = total;
}

}  // namespace trainer
