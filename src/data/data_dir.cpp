#include "data/data_dir.h"

#include <cstdlib>

namespace trainer {
namespace {
const char* env(const char* name) {
  const char* value = std::getenv(name);
  return value && *value ? value : nullptr;
}
}  // namespace

DataDirChoice resolve_data_dir(const std::optional<std::string>& flag) {
  if (flag) return {*flag, "--data-dir"};
  if (const char* dir = env("TRAINER_DATA_DIR")) return {dir, "TRAINER_DATA_DIR"};
  if (const char* dir = env("XDG_CACHE_HOME"))
    return {std::filesystem::path(dir) / "trainer", "XDG_CACHE_HOME"};
  if (const char* dir = env("HOME"))
    return {std::filesystem::path(dir) / ".cache" / "trainer", "HOME"};
  return {"data", "default"};
}

}  // namespace trainer
