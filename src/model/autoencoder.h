// The model's forward pass, backward pass and Adam step, written once as a sequence of backend ops.
#pragma once

#include <cstdint>
#include <vector>

#include "backend/backend.h"
#include "model/layout.h"

namespace trainer {

struct AdamConfig {
  double learning_rate = 0.01, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7;  // Keras defaults
};

// Keras folds both bias corrections into one step size: lr·sqrt(1 - beta2^t)/(1 - beta1^t) for
// step t (from 1), computed in double and rounded once, on the host for every device alike.
float adam_step_size(const AdamConfig& adam, std::int64_t step);

// Images resident in backend memory, as bytes.
struct DeviceImages {
  const std::uint8_t* pixels = nullptr;
  int count = 0, width = 0;
};

class Autoencoder {
 public:
  Autoencoder(Backend& backend, const ModelLayout& layout, const AdamConfig& adam, int max_batch);

  const ModelLayout& layout() const { return layout_; }
  // The state block: params, Adam m, Adam v (model/layout.h).
  void upload_state(const std::vector<float>& host_state);
  std::vector<float> download_state() const;

  // One Adam step on images rows[0..batch), rows in backend memory.
  // The batch's sum of squared errors lands in *sse_slot (backend memory): reading losses is left
  // to the caller so that a device need not synchronise every step.
  // `alpha` points to this step's Adam step size in backend memory (adam_step_size).
  void train_step(const DeviceImages& images, const std::uint32_t* rows, int batch,
                  const float* alpha, float* sse_slot);
  // train_step without the Adam update: the gradients of the batch's mean loss, for
  // download_gradients (a step computes the same gradients and applies Adam to each layer as soon
  // as its gradient is complete).
  void compute_gradients(const DeviceImages& images, const std::uint32_t* rows, int batch,
                         float* sse_slot);
  std::vector<float> download_gradients() const;

  // Sum of squared reconstruction errors over images rows[0..count), in batches, added in batch
  // order in double precision.
  double sum_squared_error(const DeviceImages& images, const std::uint32_t* rows, int count);

  // The model's outputs for images rows[0..count), in batches of at most max_batch: [count, input]
  // on the host.
  std::vector<float> reconstruct(const DeviceImages& images, const std::uint32_t* rows, int count);

  int max_batch() const { return max_batch_; }

 private:
  void forward(const DeviceImages& images, const std::uint32_t* rows, int batch);
  void forward_rows(const DeviceImages& images, const std::uint32_t* rows, int begin, int end);
  // Forward, loss, gradients; with `alpha`, each layer's Adam step fused into its weight gradient.
  void backward(const DeviceImages& images, const std::uint32_t* rows, int batch, float* sse_slot,
                const float* alpha);
  AdamArgs adam_args(std::size_t offset, const float* alpha) const;
  float* param(std::size_t offset) const { return state_ + offset; }

  Backend& backend_;
  ModelLayout layout_;
  AdamConfig adam_;
  int max_batch_;
  float* state_;                     // params | m | v
  float* grads_;                     // same layout as params
  std::vector<float*> activations_;  // [0] = input x, [l+1] = output of layer l; [batch, width]
  std::vector<float*> deltas_;       // [l] = dL/dz of layer l; [batch, out]
  float* column_sse_;
  float* eval_sse_;
};

}  // namespace trainer
