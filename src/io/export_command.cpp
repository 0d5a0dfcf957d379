#include "io/export_command.h"

#include <map>

#include "io/atomic_file.h"
#include "io/onnx_export.h"
#include "io/saved_model.h"
#include "version.h"

namespace trainer {

void run_export(const ExportConfig& config, std::ostream& out) {
  const std::filesystem::path target = config.out
                                           ? std::filesystem::path(*config.out)
                                           : std::filesystem::path(config.model_dir) / "model.onnx";
  const SavedModel saved = load_saved_model(
      config.model_dir, " (train into --model-dir " + config.model_dir + " first)");
  const ModelLayout layout = make_layout(saved.spec.shape);
  const std::map<std::string, std::string> metadata = {
      {"dataset", saved.spec.dataset},
      {"epochs", std::to_string(saved.spec.epochs)},
      {"input", "pixel bytes / 255 as float32, images flattened row by row"},
      {"trainer_version", TRAINER_VERSION}};
  write_file_atomically(target, encode_onnx(layout, saved.params.data(), metadata));
  out << "wrote " << target.string() << " (ONNX opset " << kOnnxOpset << ": input \"images\" "
      << "float32 [batch, " << layout.shape.input << "] = pixels / 255, output "
      << "\"reconstruction\" [batch, " << layout.shape.input << "])" << std::endl;
}

}  // namespace trainer
