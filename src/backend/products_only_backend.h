// A Backend that runs only the step's products on another backend: the gather, the loss and the
// bias sums and Adam step fused into the weight gradients are skipped; everything else, the
// parallel regions included, is forwarded. An epoch through it takes the time the products alone
// take inside the real step (same shapes, same splits and regions, their packing and epilogues):
// `trainer bench` prints it as the bound that no change outside the GEMMs can take an epoch below
// (bench/RESULTS.md). The numbers it computes are not a training run's: the weights never move and
// the gradients are of zeros.
#pragma once

#include "backend/forwarding_backend.h"

namespace trainer {

class ProductsOnlyBackend final : public ForwardingBackend {
 public:
  using ForwardingBackend::ForwardingBackend;

  // Its own keys: a device that records (CUDA graphs) must not replay, for these ops, a recording
  // of the whole step made under the same key by a model beside this one.
  void run_recorded(const std::string& key, const std::function<void()>& ops) override {
    inner_.run_recorded("products only: " + key, ops);
  }
  void gather_normalize(const std::uint8_t*, int, const std::uint32_t*, int, float*) override {}
  void gemm(const GemmArgs& args) override;
  void mse_backward(const MseArgs&) override {}
};

}  // namespace trainer
