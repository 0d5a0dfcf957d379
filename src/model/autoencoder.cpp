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
  std::size_t transposed = 0;
  for (const DenseLayer& layer : layout_.layers) {
    weights_t_offset_.push_back(transposed);
    transposed += std::size_t(layer.in) * layer.out;
  }
  weights_t_ = backend_.allocate_array<float>(transposed);
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

void Autoencoder::transpose_weights() {
  for (std::size_t l = 0; l < layout_.layers.size(); ++l) {
    const DenseLayer& layer = layout_.layers[l];
    backend_.transpose(param(layer.weight_offset), layer.out, layer.in,
                       weights_t_ + weights_t_offset_[l]);
  }
}

void Autoencoder::forward(const DeviceImages& images, const std::uint32_t* rows, int batch) {
  backend_.gather_normalize(images.pixels, images.width, rows, batch, activations_[0]);
  for (std::size_t l = 0; l < layout_.layers.size(); ++l) {
    const DenseLayer& layer = layout_.layers[l];
    // h[l+1] = act(h[l] · Wᵀ + b)
    GemmArgs g = product(batch, layer.out, layer.in, activations_[l], layer.in, 1,
                         weights_t_ + weights_t_offset_[l], activations_[l + 1]);
    g.bias = param(layer.bias_offset);
    g.activation = layer.activation;
    backend_.gemm(g);
  }
}

void Autoencoder::train_step(const DeviceImages& images, const std::uint32_t* rows, int batch,
                             const float* alpha, float* sse_slot) {
  compute_gradients(images, rows, batch, sse_slot);
  apply_adam(alpha);
}

void Autoencoder::compute_gradients(const DeviceImages& images, const std::uint32_t* rows,
                                    int batch, float* sse_slot) {
  transpose_weights();
  forward(images, rows, batch);
  const int input = layout_.shape.input;
  const std::size_t last = layout_.layers.size() - 1;

  MseArgs mse;
  mse.rows = batch;
  mse.cols = input;
  mse.y = activations_[last + 1];
  mse.x = activations_[0];
  mse.dz = deltas_[last];
  mse.column_sse = column_sse_;
  mse.scale = 2.0f / float(batch * input);  // d/dy of the mean over batch x input
  mse.activation = layout_.layers[last].activation;
  backend_.mse_backward(mse);
  backend_.sum(column_sse_, input, sse_slot);

  for (std::size_t l = layout_.layers.size(); l-- > 0;) {
    const DenseLayer& layer = layout_.layers[l];
    // dW[out, in] = dZᵀ · h[l], summed over the batch in ascending order
    backend_.gemm(product(layer.out, layer.in, batch, deltas_[l], 1, layer.out, activations_[l],
                          grads_ + layer.weight_offset));
    backend_.column_sum(deltas_[l], batch, layer.out, grads_ + layer.bias_offset);
    if (l == 0) break;  // the input needs no gradient
    // dZ[l-1] = (dZ[l] · W) ⊙ [h[l] > 0]   (hidden layers are ReLU)
    GemmArgs dx = product(batch, layer.in, layer.out, deltas_[l], layer.out, 1,
                          param(layer.weight_offset), deltas_[l - 1]);
    dx.mask = activations_[l];
    dx.ldmask = layer.in;
    backend_.gemm(dx);
  }
}

float adam_step_size(const AdamConfig& adam, std::int64_t step) {
  const double t = double(step);
  return float(adam.learning_rate * std::sqrt(1.0 - std::pow(adam.beta2, t)) /
               (1.0 - std::pow(adam.beta1, t)));
}

void Autoencoder::apply_adam(const float* alpha) {
  AdamArgs a;
  a.params = state_;
  a.grads = grads_;
  a.m = state_ + layout_.param_count;
  a.v = state_ + 2 * layout_.param_count;
  a.alpha = alpha;
  a.one_minus_beta1 = float(1.0 - adam_.beta1);
  a.one_minus_beta2 = float(1.0 - adam_.beta2);
  a.epsilon = float(adam_.epsilon);
  backend_.adam(a, layout_.param_count);
}

std::vector<float> Autoencoder::reconstruct(const DeviceImages& images, const std::uint32_t* rows,
                                            int count) {
  const std::size_t input = std::size_t(layout_.shape.input);
  std::vector<float> out(std::size_t(count) * input);
  transpose_weights();
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
  transpose_weights();
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
