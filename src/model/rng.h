// The one random number generator: SplitMix64, chosen because it is tiny, fully specified and
// splittable. A generator is identified by (seed, stream): stream 0 initialises the weights,
// stream 1 + e orders epoch e. Any epoch's order can therefore be recomputed from the seed alone,
// which is what checkpoints and other devices rely on. The two things it draws are here too: the
// initial weights and the epochs' orders.
#pragma once

#include <cstdint>
#include <vector>

#include "model/layout.h"

namespace trainer {

class Rng {
 public:
  Rng(std::uint64_t seed, std::uint64_t stream);
  std::uint64_t next();
  // Uniform in [0, 1) with 24 random bits: exactly representable as float.
  double uniform24();
  // Uniform integer in [0, bound), unbiased (Lemire's multiply-and-reject). bound > 0.
  std::uint32_t below(std::uint32_t bound);

 private:
  std::uint64_t state_;
};

constexpr std::uint64_t kInitStream = 0;
inline std::uint64_t epoch_stream(std::uint64_t epoch) {
  return 1 + epoch;
}

// The order in which epoch `epoch` (0-based) visits images 0..count-1: a Fisher-Yates shuffle
// from Rng(seed, epoch_stream(epoch)), or 0..count-1 when shuffle is false.
std::vector<std::uint32_t> epoch_order(std::uint64_t seed, std::uint64_t epoch, int count,
                                       bool shuffle);

// The full state block (params, then zeroed Adam m and v) of a fresh model: Keras' Dense defaults,
// glorot-uniform kernels and zero biases, drawn from Rng(seed, kInitStream).
std::vector<float> initial_state(const ModelLayout& layout, std::uint64_t seed);

}  // namespace trainer
