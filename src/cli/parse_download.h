// `trainer download [--dataset NAME|all] [data flags]`: flags to a validated DownloadConfig.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "cli/parse_train.h"
#include "data/fetch.h"

namespace trainer {

struct DownloadConfig {
  std::vector<std::string> datasets;
  std::optional<std::string> data_dir;
  FetchOptions fetch;
};

// Throws UsageError (one line naming the flag).
std::variant<DownloadConfig, ShowHelp> parse_download_args(const std::vector<std::string>& args);

}  // namespace trainer
