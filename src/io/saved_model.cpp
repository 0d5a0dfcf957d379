#include "io/saved_model.h"

#include "data/idx.h"
#include "io/safetensors.h"
#include "util/errors.h"

namespace trainer {

std::string read_text_file(const std::filesystem::path& path, const std::string& missing_hint) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    throw RuntimeFailure(path.string() + ": does not exist" + missing_hint);
  const std::vector<std::uint8_t> bytes = read_whole_file(path);
  return std::string(bytes.begin(), bytes.end());
}

SavedModel load_saved_model(const std::filesystem::path& model_dir,
                            const std::string& missing_hint) {
  const std::filesystem::path dir = model_dir / "saved_model";
  SavedModel model;
  model.file = dir / "model.safetensors";
  const std::filesystem::path config_file = dir / "config.json";
  model.spec = parse_config_json(read_text_file(config_file, missing_hint), config_file.string());
  const SafetensorsFile tensors =
      decode_safetensors(read_text_file(model.file, missing_hint), model.file.string());
  model.params =
      params_from_safetensors(tensors, make_layout(model.spec.shape), model.file.string());
  return model;
}

}  // namespace trainer
