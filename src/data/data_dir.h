// Where datasets live: --data-dir > $TRAINER_DATA_DIR > $XDG_CACHE_HOME/trainer >
// $HOME/.cache/trainer > ./data. The first one that is set (non-empty) wins.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace trainer {

struct DataDirChoice {
  std::filesystem::path path;
  std::string source;  // "--data-dir", "TRAINER_DATA_DIR", ... for messages
};

DataDirChoice resolve_data_dir(const std::optional<std::string>& flag);

}  // namespace trainer
