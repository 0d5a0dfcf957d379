// A Backend that runs every op on another backend and times it, keyed by op and shape: running the
// model's real step through it gives the per-kernel table of `trainer bench` without restating
// the model's ops anywhere else.
#pragma once

#include <chrono>
#include <map>
#include <string>

#include "backend/backend.h"

namespace trainer {

struct OpTiming {
  int calls = 0;
  double seconds = 0;
  double flops = 0;  // multiply-adds count 2; 0 for data movement
  double bytes = 0;  // memory an element-wise op must read and write
};

class TimingBackend final : public Backend {
 public:
  explicit TimingBackend(Backend& inner) : inner_(inner) {}
  const std::map<std::string, OpTiming>& timings() const { return timings_; }
  void reset() { timings_.clear(); }

  std::string description() const override { return inner_.description(); }
  std::string rounding() const override { return inner_.rounding(); }
  void* allocate(std::size_t bytes) override { return inner_.allocate(bytes); }
  void upload(void* dst, const void* src, std::size_t bytes) override {
    inner_.upload(dst, src, bytes);
  }
  void download(void* dst, const void* src, std::size_t bytes) override {
    inner_.download(dst, src, bytes);
  }
  void synchronize() override { inner_.synchronize(); }
  // Recording would hide the ops from the timer: run them one by one.
  void run_recorded(const std::string&, const std::function<void()>& ops) override { ops(); }

  void gather_normalize(const std::uint8_t* images, int width, const std::uint32_t* rows, int count,
                        float* out) override;
  void gemm(const GemmArgs& args) override;
  void mse_backward(const MseArgs& args) override;
  void sum(const float* x, int count, float* out) override;

 private:
  template <class Op>
  void timed(const std::string& key, double flops, double bytes, Op op);

  Backend& inner_;
  std::map<std::string, OpTiming> timings_;
};

}  // namespace trainer
