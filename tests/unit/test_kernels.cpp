// Every CPU kernel on every SIMD arch this machine runs, against a float64 reference, on random
// shapes with ragged tails; plus the determinism properties the kernels promise
// (kernels/README.md).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "kernel_test_support.h"
#include "kernels/cpu/kernels.h"

using namespace trainer;
using namespace trainer::cpu;

namespace {

struct GemmCase {
  int rows, cols, depth;
  bool transposed_a;  // A stored as [depth, rows] (the weight-gradient shape)
  bool bias;
  Activation activation;
  bool mask;
  bool transposed_b = false;  // B stored as [cols, depth] (a weight read as stored)
};

struct GemmData {
  std::vector<float> a, b, bias, mask;
  GemmArgs args;
};

GemmData make_gemm(std::mt19937& rng, const GemmCase& c, std::vector<float>& out) {
  GemmData d;
  d.a = random_floats(rng, std::size_t(c.rows) * c.depth);
  d.b = random_floats(rng, std::size_t(c.depth) * c.cols);
  d.bias = random_floats(rng, std::size_t(c.cols));
  d.mask = random_floats(rng, std::size_t(c.rows) * c.cols);
  out.assign(std::size_t(c.rows) * c.cols, -7.0f);
  GemmArgs& g = d.args;
  g.rows = c.rows;
  g.cols = c.cols;
  g.depth = c.depth;
  g.a = d.a.data();
  g.a_row_stride = c.transposed_a ? 1 : c.depth;
  g.a_depth_stride = c.transposed_a ? c.rows : 1;
  g.b = d.b.data();
  g.b_transposed = c.transposed_b;
  g.ldb = c.transposed_b ? c.depth : c.cols;
  g.c = out.data();
  g.ldc = c.cols;
  g.bias = c.bias ? d.bias.data() : nullptr;
  g.activation = c.activation;
  g.mask = c.mask ? d.mask.data() : nullptr;
  g.ldmask = c.cols;
  return d;
}

// float64 reference and the magnitude sum that bounds float32 rounding error.
void check_gemm_against_reference(const GemmArgs& g, const std::vector<float>& out) {
  for (int r = 0; r < g.rows; ++r) {
    for (int c = 0; c < g.cols; ++c) {
      double acc = 0, magnitude = 0;
      for (int p = 0; p < g.depth; ++p) {
        const float b = g.b_transposed ? g.b[c * g.ldb + p] : g.b[p * g.ldb + c];
        double term = double(g.a[r * g.a_row_stride + p * g.a_depth_stride]) * b;
        acc += term;
        magnitude += std::fabs(term);
      }
      if (g.bias) {
        acc += g.bias[c];
        magnitude += std::fabs(g.bias[c]);
      }
      if (g.activation == Activation::relu) acc = acc > 0 ? acc : 0;
      if (g.activation == Activation::sigmoid) acc = 1.0 / (1.0 + std::exp(-acc));
      if (g.mask && !(g.mask[r * g.ldmask + c] > 0)) acc = 0;
      const double got = out[std::size_t(r) * g.ldc + c];
      INFO("element (" << r << ", " << c << ") of " << g.rows << "x" << g.cols << ", depth "
                       << g.depth);
      REQUIRE(std::fabs(got - acc) <= 1e-5 * magnitude + 1e-30);
    }
  }
}

std::vector<GemmCase> gemm_cases(std::mt19937& rng) {
  std::vector<GemmCase> cases = {
      // The model's exact shapes: forward, backward-data, weight-gradient, and the last batch
      // of 96.
      {256, 128, 784, false, true, Activation::relu, false, true},
      {96, 784, 128, false, true, Activation::relu, false, true},
      {256, 128, 128, false, true, Activation::relu, false, true},
      {256, 128, 128, false, false, Activation::none, true},
      {128, 784, 256, true, false, Activation::none, false},
      {784, 128, 96, true, false, Activation::none, false},
      {33, 50, 20, false, true, Activation::sigmoid, false},
  };
  std::uniform_int_distribution<int> rows(1, 40), cols(1, 75), depth(1, 130);
  for (int i = 0; i < 40; ++i) {
    cases.push_back(
        {rows(rng), cols(rng), depth(rng), i % 3 == 0, i % 2 == 0,
         i % 5 == 0 ? Activation::sigmoid : (i % 2 ? Activation::relu : Activation::none),
         i % 4 == 1, i % 3 == 1});
  }
  return cases;
}

}  // namespace

TEST_CASE("gemm matches a float64 reference on every arch, ragged shapes included", "[kernels]") {
  for (SimdArch arch : supported_archs()) {
    std::mt19937 rng(1234);
    for (const GemmCase& c : gemm_cases(rng)) {
      std::vector<float> out;
      GemmData d = make_gemm(rng, c, out);
      kernel_table(arch).gemm(d.args, {0, c.rows}, {0, c.cols});
      INFO("arch " << simd_arch_name(arch));
      check_gemm_against_reference(d.args, out);
    }
  }
}

TEST_CASE("gemm results do not depend on how the output is split", "[kernels][determinism]") {
  for (SimdArch arch : supported_archs()) {
    std::mt19937 rng(99);
    for (const GemmCase& c : gemm_cases(rng)) {
      std::vector<float> whole, pieces;
      GemmData d = make_gemm(rng, c, whole);
      kernel_table(arch).gemm(d.args, {0, c.rows}, {0, c.cols});
      pieces.assign(whole.size(), -7.0f);
      d.args.c = pieces.data();
      // Odd split points, unaligned to any vector width or register tile.
      const int r_mid = c.rows / 3, c_mid = (c.cols * 2) / 5;
      for (Range rr : {Range{0, r_mid}, Range{r_mid, c.rows}}) {
        for (Range cr : {Range{0, c_mid}, Range{c_mid, c.cols}})
          kernel_table(arch).gemm(d.args, rr, cr);
      }
      INFO("arch " << simd_arch_name(arch) << " " << c.rows << "x" << c.cols << "x" << c.depth);
      REQUIRE(same_bits(whole, pieces));
    }
  }
}

TEST_CASE("avx2 and avx512 kernels give identical bits", "[kernels][determinism]") {
  if (!cpu_supports(SimdArch::avx512)) {
    WARN("SKIPPED: this CPU has no AVX-512; avx2-vs-avx512 identity not checked here");
    return;
  }
  std::mt19937 rng(7);
  for (const GemmCase& c : gemm_cases(rng)) {
    if (c.activation == Activation::sigmoid)
      continue;  // libm exp per lane: not part of the promise
    std::vector<float> out2, out512;
    GemmData d = make_gemm(rng, c, out2);
    kernel_table(SimdArch::avx2).gemm(d.args, {0, c.rows}, {0, c.cols});
    out512.assign(out2.size(), -7.0f);
    d.args.c = out512.data();
    kernel_table(SimdArch::avx512).gemm(d.args, {0, c.rows}, {0, c.cols});
    REQUIRE(same_bits(out2, out512));
  }
  // Adam and the loss too.
  const std::size_t n = 1000 + 13;
  std::vector<float> w = random_floats(rng, n), g = random_floats(rng, n),
                     m = random_floats(rng, n), v = random_floats(rng, n, 0.0f, 1.0f);
  std::vector<float> w2 = w, m2 = m, v2 = v;
  const float step_size = 0.003f;
  AdamArgs a{w.data(), g.data(), m.data(), v.data(), &step_size, 0.1f, 0.001f, 1e-7f};
  kernel_table(SimdArch::avx2).adam(a, 0, n);
  AdamArgs b{w2.data(), g.data(), m2.data(), v2.data(), &step_size, 0.1f, 0.001f, 1e-7f};
  kernel_table(SimdArch::avx512).adam(b, 0, n);
  REQUIRE(same_bits(w, w2));
  REQUIRE(same_bits(m, m2));
  REQUIRE(same_bits(v, v2));
}

TEST_CASE("column_sum adds each column in row order", "[kernels]") {
  for (SimdArch arch : supported_archs()) {
    std::mt19937 rng(5);
    for (auto [rows, cols] :
         std::vector<std::pair<int, int>>{{256, 784}, {96, 128}, {1, 1}, {37, 53}, {5, 17}}) {
      std::vector<float> x = random_floats(rng, std::size_t(rows) * cols), out(cols, -7.0f);
      kernel_table(arch).column_sum(x.data(), rows, cols, out.data(), {0, cols});
      for (int c = 0; c < cols; ++c) {
        float sequential = 0.0f;
        double exact = 0, magnitude = 0;
        for (int r = 0; r < rows; ++r) {
          sequential = sequential + x[std::size_t(r) * cols + c];
          exact += x[std::size_t(r) * cols + c];
          magnitude += std::fabs(x[std::size_t(r) * cols + c]);
        }
        REQUIRE(std::fabs(out[c] - exact) <= 1e-5 * magnitude);
        REQUIRE(out[c] == sequential);  // the documented order, exactly
      }
    }
  }
}

TEST_CASE("mse_backward gives the loss and its gradient through the output activation",
          "[kernels]") {
  for (SimdArch arch : supported_archs()) {
    std::mt19937 rng(11);
    for (Activation act : {Activation::relu, Activation::sigmoid, Activation::none}) {
      for (auto [rows, cols] : std::vector<std::pair<int, int>>{{256, 784}, {3, 21}, {17, 40}}) {
        std::vector<float> y = random_floats(rng, std::size_t(rows) * cols, -0.5f, 1.0f);
        if (act == Activation::relu) {
          for (float& value : y) value = value > 0 ? value : 0.0f;  // outputs of a ReLU
        }
        if (act == Activation::sigmoid) {
          for (float& value : y) value = 0.5f + 0.4f * value;  // outputs of a sigmoid
        }
        std::vector<float> x = random_floats(rng, y.size(), 0.0f, 1.0f), dz(y.size(), -7.0f),
                           sse(cols, -7.0f);
        MseArgs m{rows, cols, y.data(), x.data(), dz.data(), sse.data(), 2.0f / float(rows * cols),
                  act};
        kernel_table(arch).mse_backward(m, {0, cols});
        for (int c = 0; c < cols; ++c) {
          double exact = 0;
          for (int r = 0; r < rows; ++r) {
            const std::size_t at = std::size_t(r) * cols + c;
            const double d = double(y[at]) - x[at];
            exact += d * d;
            double grad = d * 2.0 / (double(rows) * cols);
            if (act == Activation::relu) grad = y[at] > 0 ? grad : 0.0;
            if (act == Activation::sigmoid) grad *= double(y[at]) * (1.0 - y[at]);
            REQUIRE(std::fabs(dz[at] - grad) <= 1e-6 * std::fabs(grad) + 1e-30);
          }
          REQUIRE(std::fabs(sse[c] - exact) <= 1e-5 * exact + 1e-30);
        }
        // Loss only (evaluation): dz untouched.
        std::vector<float> untouched(y.size(), -7.0f), sse2(cols);
        MseArgs loss_only{rows, cols, y.data(), x.data(), nullptr, sse2.data(), 1.0f, act};
        kernel_table(arch).mse_backward(loss_only, {0, cols});
        REQUIRE(same_bits(sse, sse2));
      }
    }
  }
}

// The kernel walks its column range row by row with the sums parked in column_sse: each column's
// sum must still be the documented fma chain over rows in ascending order, whatever the range.
TEST_CASE("mse_backward's sums are each column's fma chain, whatever the column range",
          "[kernels]") {
  std::mt19937 rng(12);
  const int rows = 37, cols = 203;  // ragged on every width: tails of 11 columns at 16 lanes
  const std::vector<float> y = random_floats(rng, std::size_t(rows) * cols, 0.0f, 1.0f),
                           x = random_floats(rng, y.size(), 0.0f, 1.0f);
  std::vector<float> chain(cols, 0.0f);
  for (int c = 0; c < cols; ++c) {
    for (int r = 0; r < rows; ++r) {
      const float d = y[std::size_t(r) * cols + c] - x[std::size_t(r) * cols + c];
      chain[c] = std::fmaf(d, d, chain[c]);
    }
  }
  for (SimdArch arch : supported_archs()) {
    std::vector<float> whole(cols, -7.0f), pieces(cols, -7.0f), dz_whole(y.size(), -7.0f),
        dz_pieces(y.size(), -7.0f);
    MseArgs m{rows,         cols,  y.data(),        x.data(), dz_whole.data(),
              whole.data(), 0.25f, Activation::relu};
    kernel_table(arch).mse_backward(m, {0, cols});
    m.dz = dz_pieces.data();
    m.column_sse = pieces.data();
    for (int begin = 0; begin < cols; begin += 45)
      kernel_table(arch).mse_backward(m, {begin, std::min(begin + 45, cols)});
    REQUIRE(same_bits(whole, pieces));
    REQUIRE(same_bits(dz_whole, dz_pieces));
    if (arch != SimdArch::sse2) REQUIRE(same_bits(whole, chain));  // sse2 has no fma
  }
}

// A step's first row chunk starts the loss's column sums and a second pass continues them over the
// other chunks' rows (sse_continues): the two passes must give the one chain's bits.
TEST_CASE("mse_backward's sums continued over later rows equal one pass over all of them",
          "[kernels]") {
  std::mt19937 rng(13);
  const int rows = 41, cols = 203;
  const std::vector<float> y = random_floats(rng, std::size_t(rows) * cols, 0.0f, 1.0f),
                           x = random_floats(rng, y.size(), 0.0f, 1.0f);
  for (SimdArch arch : supported_archs()) {
    std::vector<float> whole(cols, -7.0f), dz_whole(y.size(), -7.0f);
    MseArgs m{rows,         cols,  y.data(),        x.data(), dz_whole.data(),
              whole.data(), 0.25f, Activation::relu};
    kernel_table(arch).mse_backward(m, {0, cols});
    for (int split : {1, 20, 40}) {
      INFO(simd_arch_name(arch) << ", rows split at " << split);
      std::vector<float> sums(cols, -7.0f), dz(y.size(), -7.0f);
      MseArgs first = m;  // rows [0, split) with the gradient, as the first chunk
      first.rows = split;
      first.dz = dz.data();
      first.column_sse = sums.data();
      kernel_table(arch).mse_backward(first, {0, cols});
      MseArgs rest = m;  // the loss alone over the rest, continued, in column blocks
      rest.rows = rows - split;
      rest.y = y.data() + std::size_t(split) * cols;
      rest.x = x.data() + std::size_t(split) * cols;
      rest.dz = nullptr;
      rest.column_sse = sums.data();
      rest.sse_continues = true;
      for (int begin = 0; begin < cols; begin += 64)
        kernel_table(arch).mse_backward(rest, {begin, std::min(begin + 64, cols)});
      REQUIRE(same_bits(sums, whole));
      const std::size_t first_rows = std::size_t(split) * cols;
      REQUIRE(std::equal(dz.begin(), dz.begin() + std::ptrdiff_t(first_rows), dz_whole.begin()));
      REQUIRE(dz[first_rows] == -7.0f);  // the loss-only pass writes no gradient
    }
  }
}

TEST_CASE("adam follows Keras' update", "[kernels]") {
  for (SimdArch arch : supported_archs()) {
    std::mt19937 rng(3);
    const std::size_t n = 4096 + 7;
    std::vector<float> w = random_floats(rng, n), g = random_floats(rng, n),
                       m = random_floats(rng, n, -0.1f, 0.1f),
                       v = random_floats(rng, n, 0.0f, 0.01f);
    const std::vector<float> w0 = w, m0 = m, v0 = v;
    const float alpha = 0.00316f, b1 = 0.1f, b2 = 0.001f, eps = 1e-7f;
    AdamArgs a{w.data(), g.data(), m.data(), v.data(), &alpha, b1, b2, eps};
    // Two pieces with a ragged boundary: same as one.
    kernel_table(arch).adam(a, 0, 1001);
    kernel_table(arch).adam(a, 1001, n);
    for (std::size_t i = 0; i < n; ++i) {
      const double mi = m0[i] + (double(g[i]) - m0[i]) * b1;
      const double vi = v0[i] + (double(g[i]) * g[i] - v0[i]) * b2;
      const double wi = w0[i] - mi * alpha / (std::sqrt(vi) + eps);
      // Bounds relative to the magnitudes that enter each sum (cancellation makes results tiny).
      REQUIRE(std::fabs(m[i] - mi) <= 1e-6 * (std::fabs(m0[i]) + std::fabs(g[i] - m0[i]) * b1));
      REQUIRE(std::fabs(v[i] - vi) <= 1e-6 * (v0[i] + (double(g[i]) * g[i] + v0[i]) * b2));
      REQUIRE(std::fabs(w[i] - wi) <= 1e-6 * (std::fabs(w0[i]) + std::fabs(w0[i] - wi)));
    }
  }
}

TEST_CASE("gather_normalize gives byte / 255 exactly on every arch", "[kernels]") {
  // Every byte value (through the vector path at width 256: i * 7 visits all 256 residues), widths
  // with and without a ragged tail, rows repeated and out of order; bits compared, because the
  // vector path does not divide (gather_impl.h) and must still give IEEE division's quotient.
  for (int width : {256, 784, 37, 15, 1}) {
    std::vector<std::uint8_t> images(std::size_t(5) * width);
    for (std::size_t i = 0; i < images.size(); ++i) images[i] = std::uint8_t(i * 7 + i / 256);
    const std::vector<std::uint32_t> rows = {4, 0, 2, 2, 3};
    for (SimdArch arch : supported_archs()) {
      std::vector<float> out(rows.size() * width, -7.0f);
      kernel_table(arch).gather_normalize(images.data(), width, rows.data(), out.data(), {0, 2});
      kernel_table(arch).gather_normalize(images.data(), width, rows.data(), out.data(), {2, 5});
      for (std::size_t i = 0; i < rows.size(); ++i) {
        for (int k = 0; k < width; ++k) {
          INFO(simd_arch_name(arch) << ", width " << width << ", row " << i << ", byte " << k);
          const float quotient = float(images[rows[i] * width + k]) / 255.0f;
          REQUIRE(std::memcmp(&out[i * width + k], &quotient, sizeof quotient) == 0);
        }
      }
    }
  }
}

TEST_CASE("adam_block equals adam over each row's columns, and leaves the rest alone",
          "[kernels]") {
  for (SimdArch arch : supported_archs()) {
    std::mt19937 rng(5);
    const int rows = 29, ld = 803;  // ragged against every vector width
    const std::size_t n = std::size_t(rows) * ld;
    const std::vector<float> w0 = random_floats(rng, n), g = random_floats(rng, n),
                             m0 = random_floats(rng, n, -0.1f, 0.1f),
                             v0 = random_floats(rng, n, 0.0f, 0.01f);
    const float alpha = 0.00316f;
    // Whole rows (one contiguous span) and a column block in the middle (a span per row).
    for (const Range cols : {Range{0, ld}, Range{37, 437}}) {
      const Range block_rows{3, 27};
      std::vector<float> w = w0, m = m0, v = v0, w_ref = w0, m_ref = m0, v_ref = v0;
      AdamArgs a{w.data(), g.data(), m.data(), v.data(), &alpha, 0.1f, 0.001f, 1e-7f};
      AdamArgs ref{w_ref.data(), g.data(), m_ref.data(), v_ref.data(), &alpha, 0.1f, 0.001f, 1e-7f};
      kernel_table(arch).adam_block(a, block_rows, cols, ld);
      for (int r = block_rows.begin; r < block_rows.end; ++r)
        kernel_table(arch).adam(ref, std::size_t(r) * ld + std::size_t(cols.begin),
                                std::size_t(r) * ld + std::size_t(cols.end));
      REQUIRE(same_bits(w, w_ref));
      REQUIRE(same_bits(m, m_ref));
      REQUIRE(same_bits(v, v_ref));
      REQUIRE(w != w0);        // it did update something
      REQUIRE(w[0] == w0[0]);  // row 0 is outside the block
    }
  }
}

// A packed panel's rows are whole cache lines wide; they start on one only if the buffer does
// (a 512-bit load across two lines costs the micro-kernel 6-10% on Intel hosts).
TEST_CASE("gemm pack buffers start on a cache line as they grow", "[kernels]") {
  for (std::size_t floats :
       {std::size_t(1), std::size_t(1000), std::size_t(784 * 32), std::size_t(1) << 20}) {
    const float* p = gemm_pack_buffer(floats);
    REQUIRE(reinterpret_cast<std::uintptr_t>(p) % 64 == 0);
  }
}
