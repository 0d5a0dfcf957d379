#include "model/init.h"

#include <cmath>

#include "train/rng.h"

namespace trainer {

std::vector<float> initial_state(const ModelLayout& layout, std::uint64_t seed) {
  std::vector<float> state(layout.state_count(), 0.0f);
  Rng rng(seed, kInitStream);
  for (const DenseLayer& layer : layout.layers) {
    // glorot-uniform: U(-limit, limit), limit = sqrt(6 / (fan_in + fan_out)); drawn in the
    // arena's [out, in] order, computed in double and rounded to float once.
    const double limit = std::sqrt(6.0 / double(layer.in + layer.out));
    const std::size_t count = std::size_t(layer.in) * layer.out;
    for (std::size_t i = 0; i < count; ++i) {
      state[layer.weight_offset + i] = float((2.0 * rng.uniform24() - 1.0) * limit);
    }
  }
  return state;
}

}  // namespace trainer
