// The CPU backend's fused weight-gradient product (kernels/op_args.h): C, the row sums (the bias
// gradient) and the Adam step applied in the product's own tasks must give exactly the bits of
// the separate kernels run one after another over whole arrays, on every arch and thread count.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <vector>

#include "backend/cpu_backend.h"
#include "kernel_test_support.h"
#include "kernels/cpu/kernels.h"

using namespace trainer;

namespace {

struct Layer {
  int out, in, batch;
};

struct State {
  std::vector<float> params, m, v;  // weights [out, in] then biases [out], as in the model
};

State random_state(std::mt19937& rng, std::size_t n) {
  State s{random_floats(rng, n), random_floats(rng, n, -0.01f, 0.01f),
          random_floats(rng, n, 0.0f, 1e-4f)};
  // Moments that take Adam's subnormal shortcuts and weights the step cannot move.
  for (std::size_t i = 0; i < n; i += 7) s.m[i] = std::ldexp(float(i % 5) - 2.0f, -140);
  for (std::size_t i = 3; i < n; i += 11) s.v[i] = 0.0f;
  for (std::size_t i = 5; i < n; i += 13) s.params[i] = 1e6f;
  return s;
}

AdamArgs adam_at(State& s, std::size_t offset, const float* alpha) {
  AdamArgs a;
  a.params = s.params.data() + offset;
  a.m = s.m.data() + offset;
  a.v = s.v.data() + offset;
  a.alpha = alpha;
  a.one_minus_beta1 = 0.1f;
  a.one_minus_beta2 = 0.001f;
  a.epsilon = 1e-7f;
  return a;
}

}  // namespace

TEST_CASE("a fused weight-gradient product equals gemm, column_sum and adam run apart",
          "[kernels][determinism]") {
  const std::vector<Layer> layers = {{128, 784, 256}, {784, 128, 96}, {128, 128, 256},
                                     {37, 53, 19},    {5, 3, 1},      {13, 40, 33}};
  const float alpha = 0.0123f;
  for (cpu::SimdArch arch : supported_archs()) {
    const cpu::KernelTable& k = cpu::kernel_table(arch);
    std::mt19937 rng(31);
    for (const Layer& l : layers) {
      const std::size_t weights = std::size_t(l.out) * l.in;
      // dZ [batch, out] and the layer's input h [batch, in], with ReLU zeros.
      std::vector<float> dz = random_floats(rng, std::size_t(l.batch) * l.out),
                         h = random_floats(rng, std::size_t(l.batch) * l.in, 0.0f, 1.0f);
      for (std::size_t i = 0; i < h.size(); i += 3) h[i] = 0.0f;
      const State start = random_state(rng, weights + l.out);

      GemmArgs g;
      g.rows = l.out;
      g.cols = l.in;
      g.depth = l.batch;
      g.a = dz.data();
      g.a_row_stride = 1;
      g.a_depth_stride = l.out;
      g.b = h.data();
      g.ldb = l.in;
      g.ldc = l.in;

      // Apart: the whole product, the whole column sum, Adam over each whole array.
      State apart = start;
      std::vector<float> grads_apart(weights + l.out, -7.0f);
      GemmArgs ga = g;
      ga.c = grads_apart.data();
      k.gemm(ga, {0, l.out}, {0, l.in});
      k.column_sum(dz.data(), l.batch, l.out, grads_apart.data() + weights, {0, l.out});
      AdamArgs aw = adam_at(apart, 0, &alpha), ab = adam_at(apart, weights, &alpha);
      aw.grads = grads_apart.data();
      ab.grads = grads_apart.data() + weights;
      k.adam(aw, 0, weights);
      k.adam(ab, 0, std::size_t(l.out));

      for (int threads : {1, 2, 3, 5}) {
        INFO(cpu::simd_arch_name(arch)
             << ", " << l.out << "x" << l.in << "x" << l.batch << ", " << threads << " threads");
        CpuBackend backend(arch, threads, "");
        // Gradients only, then with Adam.
        for (bool with_adam : {false, true}) {
          State fused = start;
          std::vector<float> grads(weights + l.out, -7.0f);
          GemmArgs gf = g;
          gf.c = grads.data();
          gf.row_sums = grads.data() + weights;
          if (with_adam) {
            gf.adam = true;
            gf.adam_c = adam_at(fused, 0, &alpha);
            gf.adam_rows = adam_at(fused, weights, &alpha);
          }
          backend.gemm(gf);
          REQUIRE(count_bit_differences(grads, grads_apart) == 0);
          const State& expected = with_adam ? apart : start;
          REQUIRE(count_bit_differences(fused.params, expected.params) == 0);
          REQUIRE(count_bit_differences(fused.m, expected.m) == 0);
          REQUIRE(count_bit_differences(fused.v, expected.v) == 0);
        }
      }
    }
  }
}

TEST_CASE("row sums need A stored transposed", "[kernels]") {
  CpuBackend backend(cpu::SimdArch::sse2, 1, "");
  std::vector<float> a(6, 1.0f), b(6, 1.0f), c(4), sums(2);
  GemmArgs g;
  g.rows = 2;
  g.cols = 2;
  g.depth = 3;
  g.a = a.data();
  g.a_row_stride = 3;
  g.a_depth_stride = 1;
  g.b = b.data();
  g.ldb = 2;
  g.c = c.data();
  g.ldc = 2;
  g.row_sums = sums.data();
  REQUIRE_THROWS_AS(backend.gemm(g), std::logic_error);
}
