// `trainer reconstruct` and `trainer export`: flags to their configs. Both read a saved model.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "backend/backend.h"
#include "cli/parse_train.h"
#include "data/fetch.h"

namespace trainer {

struct ReconstructConfig {
  std::string model_dir = "model";
  int count = 10;  // the first `count` test images
  std::string out =
      "reconstructions.png";  // .png: the 2 x count grid; .npy: float32 [count, input]
  std::optional<std::string> data_dir;
  FetchOptions fetch;
  DeviceKind device = DeviceKind::automatic;
  int threads = 0;
};

struct ExportConfig {
  std::string model_dir = "model";
  std::string format = "onnx";
  std::optional<std::string> out;  // default <model-dir>/model.onnx
};

// Throw UsageError (one line naming the flag).
std::variant<ReconstructConfig, ShowHelp> parse_reconstruct_args(
    const std::vector<std::string>& args);
std::variant<ExportConfig, ShowHelp> parse_export_args(const std::vector<std::string>& args);

}  // namespace trainer
