#include "model/rng.h"

#include <cmath>
#include <numeric>
#include <utility>

namespace trainer {
namespace {
std::uint64_t mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
}  // namespace

Rng::Rng(std::uint64_t seed, std::uint64_t stream)
    : state_(mix(seed) ^ mix(stream * 0x9e3779b97f4a7c15ULL + 0x632be59bd9b4e019ULL)) {}

std::uint64_t Rng::next() {
  state_ += 0x9e3779b97f4a7c15ULL;
  return mix(state_);
}

double Rng::uniform24() {
  return double(next() >> 40) * 0x1p-24;
}

std::uint32_t Rng::below(std::uint32_t bound) {
  std::uint64_t product = (next() >> 32) * std::uint64_t(bound);
  std::uint32_t low = std::uint32_t(product);
  if (low < bound) {
    const std::uint32_t threshold = std::uint32_t(-bound) % bound;
    while (low < threshold) {
      product = (next() >> 32) * std::uint64_t(bound);
      low = std::uint32_t(product);
    }
  }
  return std::uint32_t(product >> 32);
}

std::vector<std::uint32_t> epoch_order(std::uint64_t seed, std::uint64_t epoch, int count,
                                       bool shuffle) {
  std::vector<std::uint32_t> order(static_cast<std::size_t>(count));
  std::iota(order.begin(), order.end(), 0u);
  if (!shuffle) return order;
  Rng rng(seed, epoch_stream(epoch));
  for (std::uint32_t i = std::uint32_t(count) - 1; i > 0; --i)
    std::swap(order[i], order[rng.below(i + 1)]);
  return order;
}

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
