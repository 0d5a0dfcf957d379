// A Backend that passes every call to another one: the base of the backends `trainer bench` wraps
// around the real one (timing_backend.h, products_only_backend.h), each overriding only what it
// changes.
#pragma once

#include <string>
#include <utility>

#include "backend/backend.h"

namespace trainer {

class ForwardingBackend : public Backend {
 public:
  explicit ForwardingBackend(Backend& inner) : inner_(inner) {}

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
  const std::uint8_t* adopt_bytes(HostBytes&& host) override {
    return inner_.adopt_bytes(std::move(host));
  }
  void run_recorded(const std::string& key, const std::function<void()>& ops) override {
    inner_.run_recorded(key, ops);
  }
  int steps_per_recording() const override { return inner_.steps_per_recording(); }
  void for_row_chunks(int rows, const std::function<void(int begin, int end)>& body) override {
    inner_.for_row_chunks(rows, body);
  }
  void independent(const std::function<void()>& body) override { inner_.independent(body); }

  void gather_normalize(const std::uint8_t* images, int width, const std::uint32_t* rows, int count,
                        float* out) override {
    inner_.gather_normalize(images, width, rows, count, out);
  }
  void gemm(const GemmArgs& args) override { inner_.gemm(args); }
  void mse_backward(const MseArgs& args) override { inner_.mse_backward(args); }
  void sum(const float* x, int count, float* out) override { inner_.sum(x, count, out); }

 protected:
  Backend& inner_;
};

}  // namespace trainer
