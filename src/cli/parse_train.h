// `trainer [train] [flags]`: flags to a validated TrainConfig.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "train/train_config.h"

namespace trainer {

struct ShowHelp {
  std::string text;
};
struct ShowVersion {};

// Throws UsageError (one line naming the flag) for anything it cannot accept.
std::variant<TrainConfig, ShowHelp, ShowVersion> parse_train_args(
    const std::vector<std::string>& args);

}  // namespace trainer
