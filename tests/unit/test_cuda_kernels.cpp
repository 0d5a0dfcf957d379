// Each CUDA kernel against its CPU twin on random shapes with ragged tails: relative error <= 1e-5
// against float64, and bit-identical to the CPU's FMA path (avx2/avx512), which is the promise the
// byte-identical model rests on.
#include <cuda_runtime_api.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <random>
#include <tuple>
#include <vector>

#include "kernel_test_support.h"
#include "kernels/cpu/kernels.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/kernels.h"

using namespace trainer;

namespace {

// Device copy of a host vector, freed at scope exit.
template <class T>
struct DeviceArray {
  T* ptr = nullptr;
  std::size_t count = 0;
  explicit DeviceArray(const std::vector<T>& host) : count(host.size()) {
    CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&ptr), count * sizeof(T) + 1));
    CUDA_CHECK(cudaMemcpy(ptr, host.data(), count * sizeof(T), cudaMemcpyHostToDevice));
  }
  ~DeviceArray() { cudaFree(ptr); }
  std::vector<T> read() const {
    std::vector<T> host(count);
    CUDA_CHECK(cudaDeviceSynchronize());
    CUDA_CHECK(cudaMemcpy(host.data(), ptr, count * sizeof(T), cudaMemcpyDeviceToHost));
    return host;
  }
};

const cpu::KernelTable& cpu_fma_twin() {
  return cpu::kernel_table(cpu::cpu_supports(cpu::SimdArch::avx2) ? cpu::best_supported_arch()
                                                                  : cpu::SimdArch::sse2);
}
bool cpu_twin_fuses() {
  return cpu_fma_twin().arch != cpu::SimdArch::sse2;
}

// The CUDA gemm on device copies of the operands (bias and mask when `g` asks for them); returns C.
std::vector<float> cuda_gemm(GemmArgs g, const std::vector<float>& a, const std::vector<float>& b,
                             const std::vector<float>& bias, const std::vector<float>& mask,
                             const std::vector<float>& c) {
  DeviceArray<float> da(a), db(b), dbias(bias), dmask(mask), dc(c);
  g.a = da.ptr;
  g.b = db.ptr;
  g.c = dc.ptr;
  g.bias = g.bias ? dbias.ptr : nullptr;
  g.mask = g.mask ? dmask.ptr : nullptr;
  cuda::gemm(g, nullptr);
  return dc.read();
}

// The sizes and strides of a dense product: A [rows, depth] (or stored [depth, rows]), B and C
// dense.
GemmArgs product_shape(int rows, int cols, int depth, bool transposed_a) {
  GemmArgs g;
  g.rows = rows;
  g.cols = cols;
  g.depth = depth;
  g.a_row_stride = transposed_a ? 1 : depth;
  g.a_depth_stride = transposed_a ? rows : 1;
  g.ldb = cols;
  g.ldc = cols;
  return g;
}

struct Shape {
  int rows, cols, depth;
  bool transposed_a, bias, mask;
  Activation activation;
  bool transposed_b = false;  // B stored as [cols, depth] (a weight read as stored)
};

}  // namespace

TEST_CASE("cuda gemm matches float64 and is bit-identical to the CPU", "[cuda][kernels]") {
  std::mt19937 rng(2024);
  std::vector<Shape> shapes = {
      {256, 128, 784, false, true, false, Activation::relu, true},
      {96, 784, 128, false, true, false, Activation::relu, true},
      {256, 128, 128, false, true, false, Activation::relu, true},
      {256, 128, 128, false, false, true, Activation::none},
      {128, 784, 256, true, false, false, Activation::none},
      {784, 128, 96, true, false, false, Activation::none},
      {1, 1, 1, false, true, false, Activation::relu},
      {33, 65, 200, false, true, false, Activation::sigmoid},
  };
  std::uniform_int_distribution<int> small(1, 90), deep(1, 300);
  for (int i = 0; i < 40; ++i) {
    shapes.push_back({small(rng), small(rng), deep(rng), i % 3 == 0, i % 2 == 0, i % 4 == 1,
                      i % 2 ? Activation::relu : Activation::none, i % 3 == 1});
  }
  for (const Shape& s : shapes) {
    std::vector<float> a = random_floats(rng, std::size_t(s.rows) * s.depth),
                       b = random_floats(rng, std::size_t(s.depth) * s.cols),
                       bias = random_floats(rng, s.cols),
                       mask = random_floats(rng, std::size_t(s.rows) * s.cols),
                       out(std::size_t(s.rows) * s.cols, -7.0f);
    GemmArgs g = product_shape(s.rows, s.cols, s.depth, s.transposed_a);
    g.b_transposed = s.transposed_b;
    g.ldb = s.transposed_b ? s.depth : s.cols;
    g.ldmask = s.cols;
    g.activation = s.activation;
    GemmArgs dg = g;
    dg.bias = s.bias ? bias.data() : nullptr;  // which operands: cuda_gemm copies them
    dg.mask = s.mask ? mask.data() : nullptr;
    const std::vector<float> gpu = cuda_gemm(dg, a, b, bias, mask, out);

    GemmArgs hg = g;
    hg.a = a.data();
    hg.b = b.data();
    hg.c = out.data();
    hg.bias = s.bias ? bias.data() : nullptr;
    hg.mask = s.mask ? mask.data() : nullptr;
    cpu_fma_twin().gemm(hg, {0, s.rows}, {0, s.cols});

    INFO(s.rows << "x" << s.cols << "x" << s.depth << (s.transposed_a ? " (A transposed)" : "")
                << (s.transposed_b ? " (B as stored)" : ""));
    for (int r = 0; r < s.rows; ++r) {
      for (int c = 0; c < s.cols; ++c) {
        double acc = 0, magnitude = 0;
        for (int p = 0; p < s.depth; ++p) {
          const float bv =
              s.transposed_b ? b[std::size_t(c) * s.depth + p] : b[std::size_t(p) * s.cols + c];
          const double term = double(a[r * hg.a_row_stride + p * hg.a_depth_stride]) * bv;
          acc += term;
          magnitude += std::fabs(term);
        }
        if (s.bias) {
          acc += bias[c];
          magnitude += std::fabs(bias[c]);
        }
        if (s.activation == Activation::relu) acc = acc > 0 ? acc : 0;
        if (s.activation == Activation::sigmoid) acc = 1 / (1 + std::exp(-acc));
        if (s.mask && !(mask[std::size_t(r) * s.cols + c] > 0)) acc = 0;
        REQUIRE(std::fabs(gpu[std::size_t(r) * s.cols + c] - acc) <= 1e-5 * magnitude + 1e-30);
      }
    }
    if (cpu_twin_fuses() && s.activation != Activation::sigmoid)
      REQUIRE(count_bit_differences(gpu, out) == 0);
  }
}

TEST_CASE("cuda gemm keeps the -0 of products that underflow: no padded depth steps",
          "[cuda][kernels]") {
  // fma(-1e-30, 1e-20, +0) rounds to -0; one more step fma(0, b, -0) would make it +0. A depth
  // that is not a multiple of the tile (45 = 32 + 13) shows whether the last tile stops at depth.
  const int rows = 5, cols = 7, depth = 45;
  std::vector<float> a(std::size_t(rows) * depth, -1e-30f), b(std::size_t(depth) * cols, 1e-20f),
      out(std::size_t(rows) * cols, 1.0f);
  const GemmArgs g = product_shape(rows, cols, depth, false);
  const std::vector<float> gpu = cuda_gemm(g, a, b, {}, {}, out);
  GemmArgs hg = g;
  hg.a = a.data();
  hg.b = b.data();
  hg.c = out.data();
  cpu_fma_twin().gemm(hg, {0, rows}, {0, cols});
  REQUIRE(std::signbit(out[0]));
  REQUIRE(out[0] == 0.0f);
  if (cpu_twin_fuses()) REQUIRE(count_bit_differences(gpu, out) == 0);
}

TEST_CASE("cuda column_sum, mse_backward, sum and adam are bit-identical to the CPU",
          "[cuda][kernels]") {
  REQUIRE(cpu_twin_fuses());
  std::mt19937 rng(77);
  for (auto [rows, cols] :
       std::vector<std::pair<int, int>>{{256, 784}, {96, 128}, {1, 1}, {37, 53}}) {
    std::vector<float> x = random_floats(rng, std::size_t(rows) * cols), out(cols);
    DeviceArray<float> dx(x), dout(out);
    cuda::column_sum(dx.ptr, rows, cols, dout.ptr, nullptr);
    cpu_fma_twin().column_sum(x.data(), rows, cols, out.data(), {0, cols});
    REQUIRE(count_bit_differences(dout.read(), out) == 0);

    for (Activation act : {Activation::relu, Activation::sigmoid, Activation::none}) {
      std::vector<float> y = random_floats(rng, x.size(), 0.0f, 1.0f),
                         target = random_floats(rng, x.size(), 0.0f, 1.0f), dz(x.size()), sse(cols),
                         total(1);
      for (std::size_t i = 0; i < y.size(); i += 3) y[i] = 0.0f;  // dead ReLU outputs
      DeviceArray<float> dy(y), dtarget(target), ddz(dz), dsse(sse), dtotal(total);
      MseArgs m{rows, cols, dy.ptr, dtarget.ptr, ddz.ptr, dsse.ptr, 2.0f / float(rows * cols), act};
      cuda::mse_backward(m, nullptr);
      cuda::sum(dsse.ptr, cols, dtotal.ptr, nullptr);
      MseArgs h{
          rows, cols, y.data(), target.data(), dz.data(), sse.data(), 2.0f / float(rows * cols),
          act};
      cpu_fma_twin().mse_backward(h, {0, cols});
      float host_total = 0.0f;
      for (float s : sse) host_total = host_total + s;
      REQUIRE(count_bit_differences(ddz.read(), dz) == 0);
      REQUIRE(count_bit_differences(dsse.read(), sse) == 0);
      REQUIRE(count_bit_differences(dtotal.read(), {host_total}) == 0);

      // The sums in two passes, the second continuing the first's chains (sse_continues).
      const int split = rows / 2;
      DeviceArray<float> dsplit(std::vector<float>(cols, -7.0f));
      MseArgs first{split, cols, dy.ptr, dtarget.ptr, nullptr, dsplit.ptr, 1.0f, act};
      cuda::mse_backward(first, nullptr);
      MseArgs rest{rows - split,
                   cols,
                   dy.ptr + std::size_t(split) * cols,
                   dtarget.ptr + std::size_t(split) * cols,
                   nullptr,
                   dsplit.ptr,
                   1.0f,
                   act};
      rest.sse_continues = true;
      cuda::mse_backward(rest, nullptr);
      REQUIRE(count_bit_differences(dsplit.read(), sse) == 0);
    }
  }
  const std::size_t n = 235146 + 5;
  std::vector<float> w = random_floats(rng, n), g = random_floats(rng, n, -0.01f, 0.01f),
                     m = random_floats(rng, n, -0.01f, 0.01f),
                     v = random_floats(rng, n, 0.0f, 1e-4f);
  DeviceArray<float> dw(w), dg(g), dm(m), dv(v);
  for (int step = 1; step <= 3; ++step) {
    const float alpha =
        float(0.01 * std::sqrt(1 - std::pow(0.999, step)) / (1 - std::pow(0.9, step)));
    DeviceArray<float> dalpha(std::vector<float>{alpha});
    cuda::adam({dw.ptr, dg.ptr, dm.ptr, dv.ptr, dalpha.ptr, 0.1f, 0.001f, 1e-7f}, n, nullptr);
    cpu_fma_twin().adam({w.data(), g.data(), m.data(), v.data(), &alpha, 0.1f, 0.001f, 1e-7f}, 0,
                        n);
    CUDA_CHECK(cudaDeviceSynchronize());
  }
  REQUIRE(count_bit_differences(dw.read(), w) == 0);
  REQUIRE(count_bit_differences(dm.read(), m) == 0);
  REQUIRE(count_bit_differences(dv.read(), v) == 0);
}

TEST_CASE("cuda's fused weight-gradient product is bit-identical to the CPU's", "[cuda][kernels]") {
  REQUIRE(cpu_twin_fuses());
  std::mt19937 rng(404);
  for (auto [out, in, batch] :
       std::vector<std::tuple<int, int, int>>{{128, 784, 256}, {784, 128, 96}, {37, 53, 19}}) {
    const std::size_t weights = std::size_t(out) * in, n = weights + out;
    std::vector<float> dz = random_floats(rng, std::size_t(batch) * out),
                       h = random_floats(rng, std::size_t(batch) * in, 0.0f, 1.0f),
                       w = random_floats(rng, n), m = random_floats(rng, n, -0.01f, 0.01f),
                       v = random_floats(rng, n, 0.0f, 1e-4f), grads(n, -7.0f);
    const float alpha = 0.0123f;
    DeviceArray<float> ddz(dz), dh(h), dw(w), dm(m), dv(v), dgrads(grads),
        dalpha(std::vector<float>{alpha});
    GemmArgs g = product_shape(out, in, batch, true);
    g.adam = true;
    const auto adam_at = [](float* params, float* mm, float* vv, std::size_t offset,
                            const float* a) {
      return AdamArgs{params + offset, nullptr, mm + offset, vv + offset, a, 0.1f, 0.001f, 1e-7f};
    };
    GemmArgs dg = g;
    dg.a = ddz.ptr;
    dg.b = dh.ptr;
    dg.c = dgrads.ptr;
    dg.row_sums = dgrads.ptr + weights;
    dg.adam_c = adam_at(dw.ptr, dm.ptr, dv.ptr, 0, dalpha.ptr);
    dg.adam_rows = adam_at(dw.ptr, dm.ptr, dv.ptr, weights, dalpha.ptr);
    cuda::gemm(dg, nullptr);

    // The CPU twin's kernels one after another: product, column sums, Adam on each array.
    GemmArgs hg = g;
    hg.a = dz.data();
    hg.b = h.data();
    hg.c = grads.data();
    cpu_fma_twin().gemm(hg, {0, out}, {0, in});
    cpu_fma_twin().column_sum(dz.data(), batch, out, grads.data() + weights, {0, out});
    AdamArgs aw = adam_at(w.data(), m.data(), v.data(), 0, &alpha),
             ab = adam_at(w.data(), m.data(), v.data(), weights, &alpha);
    aw.grads = grads.data();
    ab.grads = grads.data() + weights;
    cpu_fma_twin().adam(aw, 0, weights);
    cpu_fma_twin().adam(ab, 0, std::size_t(out));
    INFO(out << "x" << in << "x" << batch);
    REQUIRE(count_bit_differences(dgrads.read(), grads) == 0);
    REQUIRE(count_bit_differences(dw.read(), w) == 0);
    REQUIRE(count_bit_differences(dm.read(), m) == 0);
    REQUIRE(count_bit_differences(dv.read(), v) == 0);
  }
}

TEST_CASE("cuda gather_normalize moves data exactly", "[cuda][kernels]") {
  std::vector<std::uint8_t> images(300 * 784);
  for (std::size_t i = 0; i < images.size(); ++i) images[i] = std::uint8_t(i * 31 + i / 784);
  std::vector<std::uint32_t> rows = {299, 0, 17, 17, 150};
  std::vector<float> out(rows.size() * 784);
  DeviceArray<std::uint8_t> dimages(images);
  DeviceArray<std::uint32_t> drows(rows);
  DeviceArray<float> dout(out);
  cuda::gather_normalize(dimages.ptr, 784, drows.ptr, int(rows.size()), dout.ptr, nullptr);
  cpu::kernel_table(cpu::SimdArch::sse2)
      .gather_normalize(images.data(), 784, rows.data(), out.data(), {0, int(rows.size())});
  REQUIRE(count_bit_differences(dout.read(), out) == 0);
}
