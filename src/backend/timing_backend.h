// A Backend that runs every op on another backend and times it, keyed by op and shape: running the
// model's real step through it gives the per-kernel table of `trainer bench` without restating
// the model's ops anywhere else.
#pragma once

#include <chrono>
#include <map>
#include <string>

#include "backend/forwarding_backend.h"

namespace trainer {

struct OpTiming {
  int calls = 0;
  double seconds = 0;
  double flops = 0;  // multiply-adds count 2; 0 for data movement
  double bytes = 0;  // memory an element-wise op must read and write
};

class TimingBackend final : public ForwardingBackend {
 public:
  using ForwardingBackend::ForwardingBackend;
  const std::map<std::string, OpTiming>& timings() const { return timings_; }
  void reset() { timings_.clear(); }

  // Recording would hide the ops from the timer: run them one by one, each over the whole batch on
  // every thread (no row chunks, no shared regions), so that each is timed on its own.
  void run_recorded(const std::string&, const std::function<void()>& ops) override { ops(); }
  int steps_per_recording() const override { return Backend::steps_per_recording(); }
  void for_row_chunks(int rows, const std::function<void(int begin, int end)>& body) override {
    Backend::for_row_chunks(rows, body);
  }
  void independent(const std::function<void()>& body) override { Backend::independent(body); }

  void gather_normalize(const std::uint8_t* images, int width, const std::uint32_t* rows, int count,
                        float* out) override;
  void gemm(const GemmArgs& args) override;
  void mse_backward(const MseArgs& args) override;
  void sum(const float* x, int count, float* out) override;

 private:
  template <class Op>
  void timed(const std::string& key, double flops, double bytes, Op op);

  std::map<std::string, OpTiming> timings_;
};

}  // namespace trainer
