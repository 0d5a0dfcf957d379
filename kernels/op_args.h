// Arguments of the model's ops, shared by the CPU kernels (kernels/cpu) and the CUDA kernels
// (kernels/cuda): raw pointers, sizes and strides in row-major float32, never xtensor objects
// (their alignment differs per arch). Pointers are in the memory of the backend that runs the op.
#pragma once

#include <cstddef>

namespace trainer {

enum class Activation { none, relu, sigmoid };

// Adam with Keras' placement of epsilon:
//   m += (g - m)(1 - beta1);  v += (g² - v)(1 - beta2);  w -= (m·alpha) / (sqrt(v) + epsilon)
// alpha = lr·sqrt(1 - beta2^t)/(1 - beta1^t) is computed on the host (adam_step_size) and read from
// backend memory, so that a recorded sequence of steps (a CUDA graph) stays valid from epoch to
// epoch.
struct AdamArgs {
  float* params = nullptr;
  const float* grads = nullptr;
  float* m = nullptr;
  float* v = nullptr;
  const float* alpha = nullptr;  // one float in backend memory
  float one_minus_beta1 = 0, one_minus_beta2 = 0, epsilon = 0;
};

// C(r, c) = epilogue( sum_{p ascending} A(r, p) * B(p, c) ),  A(r, p) = a[r*a_row_stride +
// p*a_depth_stride], B(p, c) = b[p*ldb + c], or b[c*ldb + p] with b_transposed (a weight [out, in]
// read as stored: no transposed copy). The strides let one kernel serve both X·Wᵀ-shaped products
// (A row-major) and dZᵀ·X (A transposed). Epilogue, in this order: + bias[c] (if bias), activation,
// then zeroed where mask(r, c) <= 0 (if mask).
//
// Fused after C is complete (the weight-gradient product, kernels/README.md):
//  - row_sums[r] = ((+0 + A(r, 0)) + A(r, 1)) + ... + A(r, depth-1), plain adds: the bias gradient
//    (needs a_row_stride == 1, the dZᵀ shape);
//  - with `adam`, an Adam step taking C as the gradient of adam_c (element (r, c) at r*ldc + c of
//    its params, m and v) and row_sums as the gradient of adam_rows (element r); their `grads`
//    fields are ignored. C and row_sums are still written.
struct GemmArgs {
  int rows = 0, cols = 0, depth = 0;
  const float* a = nullptr;
  std::ptrdiff_t a_row_stride = 0, a_depth_stride = 0;
  const float* b = nullptr;
  std::ptrdiff_t ldb = 0;
  bool b_transposed = false;
  float* c = nullptr;
  std::ptrdiff_t ldc = 0;
  const float* bias = nullptr;
  Activation activation = Activation::none;
  const float* mask =
      nullptr;  // ReLU backward through the stored activation mask(r, c) = mask[r*ldmask + c]
  std::ptrdiff_t ldmask = 0;
  float* row_sums = nullptr;
  bool adam = false;
  AdamArgs adam_c, adam_rows;
};

// Mean squared error against the target and its gradient through the output activation:
//   d = y - x;  dz = act'(y) * (d * scale);  column_sse[c] = sum_{r ascending} d*d
struct MseArgs {
  int rows = 0, cols = 0;
  const float* y = nullptr;  // output activations [rows, cols]
  const float* x = nullptr;  // targets [rows, cols]
  float* dz = nullptr;  // gradient w.r.t. the output pre-activation [rows, cols]; null: loss only
  float* column_sse = nullptr;  // [cols]; null: the gradient only
  float scale = 0;              // 2 / (rows * cols): the gradient of the mean
  Activation activation = Activation::relu;
  // column_sse already holds each column's sum over the rows before these: continue that chain
  // instead of starting from +0 (the rows of a batch summed in two passes give one chain's bits).
  bool sse_continues = false;
};

}  // namespace trainer
