#include "backend/timing_backend.h"

namespace trainer {

template <class Op>
void TimingBackend::timed(const std::string& key, double flops, double bytes, Op op) {
  inner_.synchronize();
  const auto start = std::chrono::steady_clock::now();
  op();
  inner_.synchronize();
  OpTiming& t = timings_[key];
  t.calls += 1;
  t.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  t.flops += flops;
  t.bytes += bytes;
}

void TimingBackend::gather_normalize(const std::uint8_t* images, int width,
                                     const std::uint32_t* rows, int count, float* out) {
  timed("gather_normalize " + std::to_string(count) + "x" + std::to_string(width), 0,
        double(count) * width * 5,
        [&] { inner_.gather_normalize(images, width, rows, count, out); });
}

void TimingBackend::gemm(const GemmArgs& g) {
  std::string key = "gemm " + std::to_string(g.rows) + "x" + std::to_string(g.cols) + "x" +
                    std::to_string(g.depth);
  if (g.a_depth_stride != 1) key += " (A transposed)";
  if (g.bias) key += " +bias";
  if (g.activation == Activation::relu) key += " relu";
  if (g.activation == Activation::sigmoid) key += " sigmoid";
  if (g.mask) key += " relu'";
  if (g.b_transposed) key += " (B as stored)";
  if (g.row_sums) key += " +row sums";
  if (g.adam) key += " +adam";
  timed(key, 2.0 * g.rows * g.cols * g.depth, 0, [&] { inner_.gemm(g); });
}

void TimingBackend::mse_backward(const MseArgs& m) {
  timed(std::string(m.dz ? "mse_backward " : "mse ") + std::to_string(m.rows) + "x" +
            std::to_string(m.cols),
        4.0 * m.rows * m.cols, double(m.rows) * m.cols * (m.dz ? 12 : 8),
        [&] { inner_.mse_backward(m); });
}

void TimingBackend::sum(const float* x, int count, float* out) {
  timed("sum " + std::to_string(count), count, count * 4.0, [&] { inner_.sum(x, count, out); });
}

}  // namespace trainer
