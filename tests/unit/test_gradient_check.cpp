// Finite differences of a float64 forward pass against the backend's analytic gradients, for the
// whole model (every layer, weights and biases), on every SIMD arch and both output activations.
#include <catch2/catch.hpp>

#include <cmath>
#include <numeric>
#include <random>

#include "backend/cpu_backend.h"
#include "model/autoencoder.h"
#include "model/rng.h"

using namespace trainer;

namespace {

double relu(double z) {
  return z > 0 ? z : 0;
}

// Mean squared reconstruction error of the model given by `params`, all in double.
double reference_loss(const ModelLayout& layout, const std::vector<double>& params,
                      const std::vector<std::uint8_t>& images, int batch) {
  const int input = layout.shape.input;
  double sse = 0;
  for (int i = 0; i < batch; ++i) {
    std::vector<double> h(input);
    for (int k = 0; k < input; ++k)
      h[k] = double(float(images[std::size_t(i) * input + k]) / 255.0f);
    const std::vector<double> x = h;
    for (const DenseLayer& layer : layout.layers) {
      std::vector<double> next(layer.out);
      for (int o = 0; o < layer.out; ++o) {
        double z = params[layer.bias_offset + o];
        for (int k = 0; k < layer.in; ++k)
          z += params[layer.weight_offset + std::size_t(o) * layer.in + k] * h[k];
        next[o] = layer.activation == Activation::relu      ? relu(z)
                  : layer.activation == Activation::sigmoid ? 1.0 / (1.0 + std::exp(-z))
                                                            : z;
      }
      h = next;
    }
    for (int k = 0; k < input; ++k) sse += (h[k] - x[k]) * (h[k] - x[k]);
  }
  return sse / (double(batch) * input);
}

}  // namespace

TEST_CASE("analytic gradients match finite differences of the whole model", "[model][gradient]") {
  for (cpu::SimdArch arch : {cpu::SimdArch::sse2, cpu::SimdArch::avx2, cpu::SimdArch::avx512}) {
    if (!cpu::cpu_supports(arch)) continue;
    for (Activation output : {Activation::relu, Activation::sigmoid}) {
      ModelShape shape;
      shape.input = 37;  // ragged against every vector width
      shape.hidden = 19;
      shape.code = 6;
      shape.output_activation = output;
      const ModelLayout layout = make_layout(shape);
      const int batch = 9;
      CpuBackend backend(arch, 2);
      Autoencoder model(backend, layout, AdamConfig{}, batch);
      std::vector<float> state = initial_state(layout, 5);
      // Non-zero biases so that the bias gradients and ReLU masks are exercised in earnest.
      std::mt19937 rng(17);
      std::uniform_real_distribution<float> small(-0.1f, 0.3f);
      for (const DenseLayer& layer : layout.layers) {
        for (int o = 0; o < layer.out; ++o) state[layer.bias_offset + o] = small(rng);
      }
      model.upload_state(state);

      std::vector<std::uint8_t> images(std::size_t(batch) * shape.input);
      for (std::uint8_t& p : images) p = std::uint8_t(rng() % 256);
      std::uint8_t* device_images = backend.allocate_array<std::uint8_t>(images.size());
      backend.upload(device_images, images.data(), images.size());
      std::vector<std::uint32_t> rows(batch);
      std::iota(rows.begin(), rows.end(), 0u);
      std::uint32_t* device_rows = backend.allocate_array<std::uint32_t>(rows.size());
      backend.upload(device_rows, rows.data(), rows.size() * sizeof(std::uint32_t));
      float* sse = backend.allocate_array<float>(1);

      model.compute_gradients({device_images, batch, shape.input}, device_rows, batch, sse);
      const std::vector<float> analytic = model.download_gradients();

      std::vector<double> params(state.begin(), state.begin() + std::ptrdiff_t(layout.param_count));
      const double loss = reference_loss(layout, params, images, batch);
      float device_sse = 0;
      backend.download(&device_sse, sse, sizeof device_sse);
      REQUIRE(std::fabs(device_sse / (double(batch) * shape.input) - loss) <= 1e-6 * loss);

      double largest = 0;
      for (float g : analytic) largest = std::max(largest, double(std::fabs(g)));
      REQUIRE(largest > 0);
      int checked = 0, nonzero = 0;
      for (std::size_t i = 0; i < layout.param_count; ++i) {
        const double h = 1e-6;
        std::vector<double> plus = params, minus = params;
        plus[i] += h;
        minus[i] -= h;
        const double numeric = (reference_loss(layout, plus, images, batch) -
                                reference_loss(layout, minus, images, batch)) /
                               (2 * h);
        INFO("arch " << cpu::simd_arch_name(arch) << ", output " << activation_name(output)
                     << ", param " << i);
        REQUIRE(std::fabs(analytic[i] - numeric) <= 1e-3 * std::fabs(numeric) + 1e-5 * largest);
        ++checked;
        nonzero += analytic[i] != 0;
      }
      REQUIRE(checked == int(layout.param_count));
      REQUIRE(nonzero > checked / 2);
    }
  }
}
