// Initial parameters: Keras' Dense defaults (glorot-uniform kernels, zero biases).
#pragma once

#include <cstdint>
#include <vector>

#include "model/layout.h"

namespace trainer {

// The full state block (params, then zeroed Adam m and v) for a fresh model.
std::vector<float> initial_state(const ModelLayout& layout, std::uint64_t seed);

}  // namespace trainer
