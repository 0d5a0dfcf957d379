// `trainer info`: what this binary is and what it would use on this machine (version and build,
// CPU and SIMD arch, threads, CUDA driver and devices or why none, the data dir and its datasets),
// for bug reports and for checking a machine before a long run.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <variant>
#include <vector>

#include "cli/parse_train.h"

namespace trainer {

struct InfoConfig {
  std::optional<std::string> data_dir;
};

// Throws UsageError.
std::variant<InfoConfig, ShowHelp> parse_info_args(const std::vector<std::string>& args);
void run_info(const InfoConfig& config, std::ostream& out);

}  // namespace trainer
