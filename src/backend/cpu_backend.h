// The CPU backend: host memory, xsimd kernels of one arch, work spread over a thread pool by output
// tiles (never by reduction), so results do not depend on the thread count.
#pragma once

#include <memory>
#include <vector>

#include "backend/backend.h"
#include "kernels/cpu/kernels.h"
#include "util/thread_pool.h"

namespace trainer {

class CpuBackend final : public Backend {
 public:
  // `threads_from`: why that many, when not the flag or the cores ("the cgroup CPU limit of 1.5"),
  // said in the description.
  CpuBackend(cpu::SimdArch arch, int threads, std::string threads_from = "");
  ~CpuBackend() override;

  std::string description() const override;
  std::string rounding() const override {
    return kernels_.arch == cpu::SimdArch::sse2 ? "sse2" : "fma";
  }
  cpu::SimdArch arch() const { return kernels_.arch; }
  int threads() const { return pool_.size(); }

  void* allocate(std::size_t bytes) override;
  void upload(void* device_dst, const void* host_src, std::size_t bytes) override;
  void download(void* host_dst, const void* device_src, std::size_t bytes) override;
  void synchronize() override {}
  const std::uint8_t* adopt_bytes(HostBytes&& host) override {
    adopted_.push_back(std::move(host));  // HostBytes moves keep data() where it was
    return adopted_.back().data();
  }
  void run_recorded(const std::string&, const std::function<void()>& ops) override { ops(); }
  void for_row_chunks(int rows, const std::function<void(int begin, int end)>& body) override;
  void independent(const std::function<void()>& body) override;

  void gather_normalize(const std::uint8_t* images, int width, const std::uint32_t* rows, int count,
                        float* out) override;
  void gemm(const GemmArgs& args) override;
  void mse_backward(const MseArgs& args) override;
  void sum(const float* x, int count, float* out) override;

 private:
  const std::string threads_from_;
  const cpu::KernelTable& kernels_;
  // Runs task(0..count-1): on the pool, on this thread alone inside a row chunk, or, inside
  // independent(), later, together with the other ops' tasks.
  void run_tasks(int count, std::function<void(int)> task);
  // The threads an op's tasks are cut for: 1 inside a row chunk.
  int parallelism() const;

  ThreadPool pool_;
  struct Tasks {
    int count;
    std::function<void(int)> task;
  };
  std::vector<Tasks> deferred_;  // ops issued inside independent()
  bool deferring_ = false;
  std::vector<void*> allocations_;
  std::vector<HostBytes> adopted_;
};

}  // namespace trainer
