// `trainer eval [--model-dir M] [--checkpoint F] [--dataset D] [flags]`: flags to an EvalConfig.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "backend/backend.h"
#include "cli/parse_train.h"
#include "data/fetch.h"

namespace trainer {

struct EvalConfig {
  std::string model_dir = "model";
  std::optional<std::string> checkpoint;  // else the saved model
  std::optional<std::string> dataset;     // else the one the model was trained on
  std::optional<std::string> data_dir;
  FetchOptions fetch;
  DeviceKind device = DeviceKind::automatic;
  int threads = 0;
};

// Throws UsageError (one line naming the flag).
std::variant<EvalConfig, ShowHelp> parse_eval_args(const std::vector<std::string>& args);

}  // namespace trainer
