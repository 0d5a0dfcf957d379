#include "model/autoencoder.h"

#include <cmath>

namespace trainer {
namespace {

// C[rows, cols] = A · B with A(r, p) = a[r*a_row_stride + p*a_depth_stride]; B [depth, cols] and
// C dense row-major.
GemmArgs product(int rows, int cols, int depth, const float* a, std::ptrdiff_t a_row_stride,
                 std::ptrdiff_t a_depth_stride, const float* b, float* c) {
  GemmArgs g;
  g.rows = rows;
  g.cols = cols;
  g.depth = depth;
  g.a = a;
  g.a_row_stride = a_row_stride;
  g.a_depth_stride = a_depth_stride;
  g.b = b;
  g.ldb = cols;
  g.c = c;
  g.ldc = cols;
  return g;
}

}  // namespace

Autoencoder::Autoencoder(Backend& backend, const ModelLayout& layout, const AdamConfig& adam,
                         int max_batch)
    : backend_(backend), layout_(layout), adam_(adam), max_batch_(max_batch) {
  state_ = backend_.allocate_array<float>(layout_.state_count());
  grads_ = backend_.allocate_array<float>(layout_.param_count);
  activations_.push_back(
      backend_.allocate_array<float>(std::size_t(max_batch) * layout_.shape.input));
  for (const DenseLayer& layer : layout_.layers) {
    activations_.push_back(backend_.allocate_array<float>(std::size_t(max_batch) * layer.out));
    deltas_.push_back(backend_.allocate_array<float>(std::size_t(max_batch) * layer.out));
  }
  column_sse_ = backend_.allocate_array<float>(std::size_t(layout_.shape.input));
  eval_sse_ = backend_.allocate_array<float>(1);
}

void Autoencoder::upload_state(const std::vector<float>& host_state) {
  backend_.upload(state_, host_state.data(), layout_.state_count() * sizeof(float));
}

std::vector<float> Autoencoder::download_state() const {
  std::vector<float> host(layout_.state_count());
  backend_.download(host.data(), state_, host.size() * sizeof(float));
  return host;
}

std::vector<float> Autoencoder::download_gradients() const {
  std::vector<float> host(layout_.param_count);
  backend_.download(host.data(), grads_, host.size() * sizeof(float));
  return host;
}

void Autoencoder::forward(const DeviceImages& images, const std::uint32_t* rows, int batch) {
  backend_.for_row_chunks(batch,
                          [&](int begin, int end) { forward_rows(images, rows, begin, end); });
}

// Rows [begin, end) of the batch through every layer: each row needs only its own activations.
void Autoencoder::forward_rows(const DeviceImages& images, const std::uint32_t* rows, int begin,
                               int end) {
  const int n = end - begin;
  backend_.gather_normalize(images.pixels, images.width, rows + begin, n,
                            activations_[0] + std::ptrdiff_t(begin) * layout_.shape.input);
  for (std::size_t l = 0; l < layout_.layers.size(); ++l) {
    const DenseLayer& layer = layout_.layers[l];
    // h[l+1] = act(h[l] · Wᵀ + b), W [out, in] read as stored
    GemmArgs g = product(n, layer.out, layer.in, activations_[l] + std::ptrdiff_t(begin) * layer.in,
                         layer.in, 1, param(layer.weight_offset),
                         activations_[l + 1] + std::ptrdiff_t(begin) * layer.out);
    g.b_transposed = true;
    g.ldb = layer.in;
    g.bias = param(layer.bias_offset);
    g.activation = layer.activation;
    backend_.gemm(g);
  }
}

void Autoencoder::train_step(const DeviceImages& images, const std::uint32_t* rows, int batch,
                             const float* alpha, float* sse_slot) {
  backward(images, rows, batch, sse_slot, alpha);
}

void Autoencoder::compute_gradients(const DeviceImages& images, const std::uint32_t* rows,
                                    int batch, float* sse_slot) {
  backward(images, rows, batch, sse_slot, nullptr);
}

// A step in two parts. Per row: forward, the output gradient, and every backward-data product
// (dZ[l-1] = (dZ[l] · W) ⊙ [h[l] > 0], hidden layers are ReLU), with each W as the forward pass
// used it; the first chunk also starts the loss's column sums. Then the reductions over the batch,
// independent of each other: the rest of the loss's column sums and each layer's weight gradient,
// bias gradient and, with `alpha`, Adam step.
void Autoencoder::backward(const DeviceImages& images, const std::uint32_t* rows, int batch,
                           float* sse_slot, const float* alpha) {
  const int input = layout_.shape.input;
  const std::size_t last = layout_.layers.size() - 1;
  MseArgs mse;
  mse.cols = input;
  mse.scale = 2.0f / float(batch * input);  // d/dy of the mean over batch x input
  mse.activation = layout_.layers[last].activation;

  int loss_rows = 0;  // the rows whose loss the first chunk summed
  backend_.for_row_chunks(batch, [&](int begin, int end) {
    forward_rows(images, rows, begin, end);
    MseArgs gradient = mse;
    gradient.rows = end - begin;
    gradient.y = activations_[last + 1] + std::ptrdiff_t(begin) * input;
    gradient.x = activations_[0] + std::ptrdiff_t(begin) * input;
    gradient.dz = deltas_[last] + std::ptrdiff_t(begin) * input;
    // The first chunk starts each column's loss chain in its pass over y and x; the rows of the
    // other chunks continue the chains below, in order. A chunk of the whole batch (one thread,
    // a device) leaves nothing for a second pass.
    if (begin == 0) {
      gradient.column_sse = column_sse_;
      loss_rows = end;
    }
    backend_.mse_backward(gradient);
    for (std::size_t l = last; l > 0; --l) {
      const DenseLayer& layer = layout_.layers[l];
      GemmArgs dx =
          product(end - begin, layer.in, layer.out, deltas_[l] + std::ptrdiff_t(begin) * layer.out,
                  layer.out, 1, param(layer.weight_offset),
                  deltas_[l - 1] + std::ptrdiff_t(begin) * layer.in);
      dx.mask = activations_[l] + std::ptrdiff_t(begin) * layer.in;
      dx.ldmask = layer.in;
      backend_.gemm(dx);
    }
  });

  backend_.independent([&] {
    if (loss_rows < batch) {
      MseArgs loss = mse;  // the column sums continued over the other chunks' rows, in row order
      loss.rows = batch - loss_rows;
      loss.y = activations_[last + 1] + std::ptrdiff_t(loss_rows) * input;
      loss.x = activations_[0] + std::ptrdiff_t(loss_rows) * input;
      loss.column_sse = column_sse_;
      loss.sse_continues = loss_rows > 0;
      backend_.mse_backward(loss);
    }
    for (std::size_t l = layout_.layers.size(); l-- > 0;) {
      const DenseLayer& layer = layout_.layers[l];
      // dW[out, in] = dZᵀ · h[l], summed over the batch in ascending order; db = dZ's column sums
      GemmArgs dw = product(layer.out, layer.in, batch, deltas_[l], 1, layer.out, activations_[l],
                            grads_ + layer.weight_offset);
      dw.row_sums = grads_ + layer.bias_offset;
      if (alpha) {
        dw.adam = true;
        dw.adam_c = adam_args(layer.weight_offset, alpha);
        dw.adam_rows = adam_args(layer.bias_offset, alpha);
      }
      backend_.gemm(dw);
    }
  });
  backend_.sum(column_sse_, input, sse_slot);
}

float adam_step_size(const AdamConfig& adam, std::int64_t step) {
  const double t = double(step);
  return float(adam.learning_rate * std::sqrt(1.0 - std::pow(adam.beta2, t)) /
               (1.0 - std::pow(adam.beta1, t)));
}

// Adam's arrays from parameter `offset` on; the gradient comes from the fused product.
AdamArgs Autoencoder::adam_args(std::size_t offset, const float* alpha) const {
  AdamArgs a;
  a.params = state_ + offset;
  a.m = state_ + layout_.param_count + offset;
  a.v = state_ + 2 * layout_.param_count + offset;
  a.alpha = alpha;
  a.one_minus_beta1 = float(1.0 - adam_.beta1);
  a.one_minus_beta2 = float(1.0 - adam_.beta2);
  a.epsilon = float(adam_.epsilon);
  return a;
}

std::vector<float> Autoencoder::reconstruct(const DeviceImages& images, const std::uint32_t* rows,
                                            int count) {
  const std::size_t input = std::size_t(layout_.shape.input);
  std::vector<float> out(std::size_t(count) * input);
  // The activations hold max_batch rows: more images go through them a batch at a time.
  for (int begin = 0; begin < count; begin += max_batch_) {
    const int batch = count - begin < max_batch_ ? count - begin : max_batch_;
    forward(images, rows + begin, batch);
    backend_.download(out.data() + std::size_t(begin) * input, activations_.back(),
                      std::size_t(batch) * input * sizeof(float));
  }
  return out;
}

double Autoencoder::sum_squared_error(const DeviceImages& images, const std::uint32_t* rows,
                                      int count) {
  double total = 0.0;
  const int input = layout_.shape.input;
  for (int begin = 0; begin < count; begin += max_batch_) {
    const int batch = count - begin < max_batch_ ? count - begin : max_batch_;
    forward(images, rows + begin, batch);
    MseArgs mse;
    mse.rows = batch;
    mse.cols = input;
    mse.y = activations_.back();
    mse.x = activations_[0];
    mse.column_sse = column_sse_;
    mse.activation = layout_.layers.back().activation;
    backend_.mse_backward(mse);
    backend_.sum(column_sse_, input, eval_sse_);
    float batch_sse = 0.0f;
    backend_.download(&batch_sse, eval_sse_, sizeof batch_sse);
    total += double(batch_sse);
  }
  return total;
}

}  // namespace trainer
