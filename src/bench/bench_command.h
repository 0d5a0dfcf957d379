// `trainer bench`: the built-in benchmark users run on their own machines. Synthetic data, no
// download: the hardware, the measured multiply-add peak, each kernel of one training step with its
// GFLOP/s against that peak, and seconds per epoch of the seed model; --json for scripts.
#pragma once

#include <ostream>
#include <string>
#include <variant>
#include <vector>

#include "backend/backend.h"
#include "cli/parse_train.h"

namespace trainer {

struct BenchConfig {
  DeviceKind device = DeviceKind::automatic;
  int threads = 0;
  int batch_size = 256;
  int images = 60000;
  int epochs = 3;
  bool json = false;
};

// Throws UsageError.
std::variant<BenchConfig, ShowHelp> parse_bench_args(const std::vector<std::string>& args);
void run_bench(const BenchConfig& config, std::ostream& out);

}  // namespace trainer
