// The one training loop: data in, epochs of steps on a backend, outputs in the model directory.
#pragma once

#include <ostream>

#include "train/train_config.h"

namespace trainer {

// Throws UsageError / RuntimeFailure; progress goes to `out`.
void run_training(const TrainConfig& config, std::ostream& out);

}  // namespace trainer
