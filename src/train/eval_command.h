// `trainer eval`: the test-set loss of a saved model or of one checkpoint, computed exactly as the
// training run computed its test loss (same images, same batches), so the two numbers agree.
#pragma once

#include <ostream>

#include "cli/parse_eval.h"

namespace trainer {

void run_eval(const EvalConfig& config, std::ostream& out);

}  // namespace trainer
