// Runs a grid on the CPU as the hardware would let it run: blocks one after another, each CUDA
// thread of a block a fiber with its own guard-paged stack, __syncthreads() a real barrier that
// releases the block only once every thread waits at that same barrier. A thread that exits or
// waits at another barrier while others wait is a divergent barrier, reported with the kernel,
// block, threads and lines. The order of blocks and of threads between barriers comes from
// TRAINER_CUDA_EMU_ORDER (forward, reverse, shuffled[:seed]), so code that silently relies on an
// order fails in one of them. __shared__ arrays are refilled with NaN bytes before every block.
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "emulator.h"

#if defined(__SANITIZE_ADDRESS__)
#define CUDA_EMU_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CUDA_EMU_ASAN 1
#endif
#endif
#ifdef CUDA_EMU_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

uint3 threadIdx, blockIdx;
dim3 blockDim, gridDim;

// Switching between fibers: the callee-saved registers and the SSE and x87 control words go on the
// current stack, its pointer into *from, then the other stack's are restored. ucontext's
// swapcontext does the same plus a sigprocmask system call, which made it two thirds of the
// emulator's time.
static_assert(sizeof(void*) == 8, "the fiber switch is written for x86-64");
extern "C" void cuda_emu_switch(void** from, void* to);
asm(R"(
  .text
  .globl cuda_emu_switch
  .type cuda_emu_switch, @function
cuda_emu_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  subq $8, %rsp
  stmxcsr (%rsp)
  fnstcw 4(%rsp)
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  ldmxcsr (%rsp)
  fldcw 4(%rsp)
  addq $8, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size cuda_emu_switch, .-cuda_emu_switch
  .section .note.GNU-stack,"",@progbits
  .text
)");

namespace cuda_emu {
namespace {

constexpr std::size_t kSharedLimit = 48 * 1024;  // static shared memory per block
#ifdef CUDA_EMU_ASAN
constexpr std::size_t kStackBytes = 512 * 1024;  // ASan's redzones and fake frames need room
#else
constexpr std::size_t kStackBytes = 128 * 1024;
#endif

enum class Order { forward, reverse, shuffled };

struct OrderChoice {
  Order order = Order::forward;
  std::uint64_t seed = 1;
};

OrderChoice order_from_environment() {
  OrderChoice choice;
  const char* text = std::getenv("TRAINER_CUDA_EMU_ORDER");
  if (!text || !*text || std::strcmp(text, "forward") == 0) return choice;
  if (std::strcmp(text, "reverse") == 0) {
    choice.order = Order::reverse;
  } else if (std::strncmp(text, "shuffled", 8) == 0 && (text[8] == '\0' || text[8] == ':')) {
    choice.order = Order::shuffled;
    if (text[8] == ':') choice.seed = std::strtoull(text + 9, nullptr, 10);
  } else {
    throw EmulatorError(cudaErrorInvalidValue,
                        std::string("TRAINER_CUDA_EMU_ORDER=") + text +
                            ": expected forward, reverse or shuffled[:seed]");
  }
  return choice;
}

const OrderChoice& order_choice() {
  static const OrderChoice choice = order_from_environment();
  return choice;
}

std::mt19937_64& order_rng() {
  static std::mt19937_64 rng(order_choice().seed);
  return rng;
}

// 0..n-1 in the chosen order.
void arrange(std::vector<unsigned>& items, unsigned n) {
  items.resize(n);
  for (unsigned i = 0; i < n; ++i) items[i] = i;
  if (order_choice().order == Order::reverse) std::reverse(items.begin(), items.end());
  if (order_choice().order == Order::shuffled)
    std::shuffle(items.begin(), items.end(), order_rng());
}

uint3 coordinates(unsigned index, const dim3& shape) {
  return {index % shape.x, index / shape.x % shape.y, index / (shape.x * shape.y)};
}

std::string coordinates_text(const uint3& c) {
  return "(" + std::to_string(c.x) + "," + std::to_string(c.y) + "," + std::to_string(c.z) + ")";
}

// ---- fibers ----

enum class FiberState { runnable, at_barrier, exited, failed };

struct Fiber {
  void* sp = nullptr;     // saved stack pointer while switched out
  char* stack = nullptr;  // usable part, above the guard page
  uint3 thread{};
  FiberState state = FiberState::runnable;
  int barrier_line = 0;
  std::string failure;
  cudaError_t failure_code = cudaErrorLaunchFailure;
  void* fake_stack = nullptr;  // ASan's
};

struct Scheduler {
  void* sp = nullptr;
  const void* stack_bottom = nullptr;  // ASan's record of the scheduler's stack
  std::size_t stack_size = 0;
  void* fake_stack = nullptr;
  std::vector<Fiber> fibers;
  std::vector<char*> stacks;  // kept across launches: mapping a stack per thread is slow
  Fiber* current = nullptr;
  const std::function<void()>* thread_body = nullptr;
  bool direct = false;  // the kernel runs without fibers (it has no barrier)
  const KernelSite* site = nullptr;
  // __shared__ arrays of the running kernel: declaration -> offset into the block's memory
  std::vector<std::pair<const void*, std::size_t>> shared_slots;
  std::size_t shared_used = 0;
  alignas(64) unsigned char shared_memory[kSharedLimit];
};

Scheduler& scheduler() {
  static Scheduler* s = new Scheduler;  // never destroyed: fibers may still reference it at exit
  return *s;
}

void fiber_entry();

char* map_stack() {
  const std::size_t page = std::size_t(::sysconf(_SC_PAGESIZE));
  void* base = ::mmap(nullptr, kStackBytes + page, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (base == MAP_FAILED)
    throw EmulatorError(cudaErrorMemoryAllocation, "cannot map a stack for a CUDA thread");
  // The lowest page faults: a thread that overflows its stack crashes instead of corrupting
  // another's.
  ::mprotect(base, page, PROT_NONE);
  return static_cast<char*>(base) + page;
}

// A fresh fiber's stack as cuda_emu_switch leaves a switched-out one: the control words, six
// registers and, as the return address, fiber_entry, entered with the stack aligned as after a
// call.
void* initial_stack(char* stack) {
  auto* top = reinterpret_cast<std::uintptr_t*>(stack + kStackBytes);
  *--top = 0;  // alignment: fiber_entry starts with rsp = 8 mod 16
  *--top = reinterpret_cast<std::uintptr_t>(&fiber_entry);
  for (int i = 0; i < 6; ++i) *--top = 0;       // rbp, rbx, r12 to r15
  std::uint32_t control[2] = {0x1f80, 0x037f};  // MXCSR and x87 control word defaults
  std::uint32_t mxcsr = 0;
  asm volatile("stmxcsr %0" : "=m"(mxcsr));
  control[0] = mxcsr;  // the same rounding and exception masks as the launching thread
  std::uint16_t fpucw = 0;
  asm volatile("fnstcw %0" : "=m"(fpucw));
  control[1] = fpucw;
  --top;
  std::memcpy(top, control, sizeof control);
  return top;
}

void switch_to_fiber(Scheduler& s, Fiber& f) {
  s.current = &f;
#ifdef CUDA_EMU_ASAN
  __sanitizer_start_switch_fiber(&s.fake_stack, f.stack, kStackBytes);
#endif
  cuda_emu_switch(&s.sp, f.sp);
#ifdef CUDA_EMU_ASAN
  __sanitizer_finish_switch_fiber(s.fake_stack, nullptr, nullptr);
#endif
  s.current = nullptr;
}

// From a fiber back to the scheduler; `exiting`: the fiber will never be resumed.
void switch_to_scheduler(Scheduler& s, Fiber& f, bool exiting) {
#ifdef CUDA_EMU_ASAN
  __sanitizer_start_switch_fiber(exiting ? nullptr : &f.fake_stack, s.stack_bottom, s.stack_size);
#else
  (void)exiting;
#endif
  cuda_emu_switch(&f.sp, s.sp);
#ifdef CUDA_EMU_ASAN
  __sanitizer_finish_switch_fiber(f.fake_stack, &s.stack_bottom, &s.stack_size);
#endif
}

void fiber_entry() {
  Scheduler& s = scheduler();
#ifdef CUDA_EMU_ASAN
  __sanitizer_finish_switch_fiber(nullptr, &s.stack_bottom, &s.stack_size);
#endif
  Fiber& f = *s.current;
  try {
    (*s.thread_body)();
    f.state = FiberState::exited;
  } catch (const EmulatorError& e) {
    f.failure = e.what();
    f.failure_code = e.code;
    f.state = FiberState::failed;
  } catch (const std::exception& e) {
    f.failure = e.what();
    f.state = FiberState::failed;
  }
  switch_to_scheduler(s, f, true);
}

std::string where(const KernelSite& site, const uint3& block) {
  return describe(site) + ", block " + coordinates_text(block);
}

// Runs one block's threads in fibers until all have exited, releasing them at each barrier.
void run_block_in_fibers(Scheduler& s, const KernelSite& site, unsigned threads,
                         std::vector<unsigned>& order) {
  while (s.stacks.size() < threads) s.stacks.push_back(map_stack());
  s.fibers.resize(threads);
  for (unsigned i = 0; i < threads; ++i) {
    Fiber& f = s.fibers[i];
    f = Fiber{};
    f.stack = s.stacks[i];
    f.thread = coordinates(i, blockDim);
    f.sp = initial_stack(f.stack);
  }
  while (true) {
    arrange(order, threads);
    for (unsigned i : order) {
      Fiber& f = s.fibers[i];
      if (f.state != FiberState::runnable) continue;
      threadIdx = f.thread;
      switch_to_fiber(s, f);
      if (f.state == FiberState::failed)
        throw EmulatorError(f.failure_code, where(site, blockIdx) + ", thread " +
                                                coordinates_text(f.thread) + ": " + f.failure);
    }
    const Fiber* waiting = nullptr;
    const Fiber* exited = nullptr;
    for (const Fiber& f : s.fibers) {
      if (f.state == FiberState::at_barrier) {
        if (waiting && waiting->barrier_line != f.barrier_line) {
          throw EmulatorError(cudaErrorLaunchFailure,
                              where(site, blockIdx) + ": divergent barriers: thread " +
                                  coordinates_text(waiting->thread) + " waits at line " +
                                  std::to_string(waiting->barrier_line) + ", thread " +
                                  coordinates_text(f.thread) + " at line " +
                                  std::to_string(f.barrier_line));
        }
        waiting = &f;
      } else {
        exited = &f;
      }
    }
    if (!waiting) return;  // every thread has exited
    if (exited) {
      throw EmulatorError(cudaErrorLaunchFailure,
                          where(site, blockIdx) + ": divergent barrier: thread " +
                              coordinates_text(exited->thread) + " exited while thread " +
                              coordinates_text(waiting->thread) +
                              " waits at __syncthreads() on line " +
                              std::to_string(waiting->barrier_line));
    }
    for (Fiber& f : s.fibers) f.state = FiberState::runnable;
  }
}

}  // namespace

std::string order_variable_problem() {
  try {
    (void)order_choice();
  } catch (const EmulatorError& e) {
    return e.what();
  }
  return "";
}

std::string describe(const KernelSite& site) {
  return std::string(site.kernel) + " (launched at " + site.file + ":" + std::to_string(site.line) +
         ")";
}

void syncthreads(int line) {
  Scheduler& s = scheduler();
  if (s.direct) {
    // Only a kernel whose own body calls __syncthreads gets fibers; one that reaches a barrier
    // through a __device__ function cannot be run correctly without them.
    throw EmulatorError(cudaErrorLaunchFailure,
                        describe(*s.site) + ": __syncthreads() on line " + std::to_string(line) +
                            " reached outside the kernel's own body; the emulator runs such a "
                            "kernel without fibers (cuda_emu/rewrite_cu.cpp)");
  }
  Fiber& f = *s.current;
  f.state = FiberState::at_barrier;
  f.barrier_line = line;
  switch_to_scheduler(s, f, false);
}

void* shared_bytes(const void* declaration, std::size_t bytes, std::size_t alignment) {
  Scheduler& s = scheduler();
  for (const auto& [slot, offset] : s.shared_slots)
    if (slot == declaration) return s.shared_memory + offset;
  const std::size_t offset = (s.shared_used + alignment - 1) / alignment * alignment;
  if (offset + bytes > kSharedLimit) {
    throw EmulatorError(cudaErrorLaunchOutOfResources,
                        describe(*s.site) + ": " + std::to_string(offset + bytes) +
                            " bytes of __shared__ memory, more than the 48 KiB a block may have");
  }
  s.shared_slots.emplace_back(declaration, offset);
  s.shared_used = offset + bytes;
  return s.shared_memory + offset;
}

void run_grid(const KernelSite& site, const LaunchConfig& config,
              const std::function<void()>& thread) {
  Scheduler& s = scheduler();
  s.site = &site;
  s.thread_body = &thread;
  s.direct = !site.uses_barriers;
  s.shared_slots.clear();
  s.shared_used = 0;
  gridDim = config.grid;
  blockDim = config.block;
  const unsigned blocks = config.grid.x * config.grid.y * config.grid.z;
  const unsigned threads = config.block.x * config.block.y * config.block.z;
  std::vector<unsigned> block_order, thread_order;
  arrange(block_order, blocks);
  for (unsigned b : block_order) {
    blockIdx = coordinates(b, config.grid);
    // Stale data from the previous block must not pass for data this block wrote.
    std::memset(s.shared_memory, 0xff, sizeof s.shared_memory);
    if (s.direct) {
      arrange(thread_order, threads);
      for (unsigned t : thread_order) {
        threadIdx = coordinates(t, config.block);
        thread();
      }
    } else {
      run_block_in_fibers(s, site, threads, thread_order);
    }
  }
}

void submit(const KernelSite& site, const LaunchConfig& config, std::function<void()> thread) {
  const dim3& g = config.grid;
  const dim3& b = config.block;
  std::string problem;
  const unsigned long long threads = 1ull * b.x * b.y * b.z;
  if (g.x == 0 || g.y == 0 || g.z == 0 || b.x == 0 || b.y == 0 || b.z == 0)
    problem = "a grid or block dimension is 0";
  else if (b.x > 1024 || b.y > 1024 || b.z > 64 || threads > 1024)
    problem = std::to_string(threads) + " threads per block (" + coordinates_text({b.x, b.y, b.z}) +
              "); the limit is 1024, at most (1024, 1024, 64)";
  else if (g.x > 0x7fffffffu || g.y > 65535 || g.z > 65535)
    problem = "grid " + coordinates_text({g.x, g.y, g.z}) + " exceeds (2^31-1, 65535, 65535)";
  else if (config.shared_bytes > kSharedLimit)
    problem = std::to_string(config.shared_bytes) + " bytes of dynamic shared memory";
  if (!problem.empty()) {
    record_error(cudaErrorInvalidConfiguration, describe(site) + ": invalid launch: " + problem,
                 false);
    return;
  }
  try {
    (void)order_choice();
  } catch (const EmulatorError& e) {
    record_error(e.code, e.what(), false);
    return;
  }
  run_or_record(config.stream,
                [site, config, thread = std::move(thread)] { run_grid(site, config, thread); });
}

}  // namespace cuda_emu
