// `trainer reconstruct`: a saved model on the first test images, written as the originals-over-
// reconstructions grid (PNG) or as its raw outputs (NumPy .npy) for scripts and interop tests.
#pragma once

#include <ostream>

#include "cli/parse_model_commands.h"

namespace trainer {

void run_reconstruct(const ReconstructConfig& config, std::ostream& out);

}  // namespace trainer
