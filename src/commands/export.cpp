// `trainer export`: the saved model as ONNX.
#include "commands/commands.h"

#include <map>

#include "cli/flag_values.h"

#include "io/model_dir.h"
#include "io/onnx_export.h"
#include "util/atomic_file.h"
#include "util/text.h"
#include "version.h"

namespace trainer {

std::variant<ExportConfig, ShowHelp> parse_export_args(const std::vector<std::string>& args) {
  cxxopts::Options options =
      command_options("trainer export", "Write a saved model in a format other tools load (ONNX).");
  auto text = [] { return cxxopts::value<std::string>(); };
  auto add = options.add_options();
  add("model-dir", "The model directory a training run wrote", text()->default_value("model"));
  add("format", "onnx (opset 13; README \"Interop\")", text()->default_value("onnx"));
  add("out", "Where to write, - for standard output (default: <model-dir>/model.onnx)", text());
  add("h,help", "Show this help");
  const cxxopts::ParseResult result = parse_flags(options, "trainer export", args);
  if (result["help"].as<bool>()) return ShowHelp{options.help(), ""};
  auto value = [&](const char* flag) { return result[flag].as<std::string>(); };
  ExportConfig config;
  config.model_dir = parse_path_flag("model-dir", value("model-dir"));
  config.format = parse_choice_flag("format", value("format"), {"onnx"});
  if (result.count("out")) config.out = parse_path_flag("out", value("out"));
  return config;
}

void run_export(const ExportConfig& config, std::ostream& out) {
  const ModelDir model_dir(config.model_dir);
  const bool to_stdout = config.out && *config.out == "-";
  const std::filesystem::path target =
      config.out ? std::filesystem::path(*config.out) : model_dir.onnx_file();
  if (!to_stdout) require_replaceable(target);
  const SavedModel saved =
      model_dir.load_saved_model(" (train into --model-dir " + config.model_dir + " first)");
  const ModelLayout layout = make_layout(saved.spec.shape);
  const std::map<std::string, std::string> metadata = {
      {"dataset", saved.spec.dataset},
      {"epochs", std::to_string(saved.spec.epochs)},
      {"input", "pixel bytes / 255 as float32, images flattened row by row"},
      {"trainer_version", TRAINER_VERSION}};
  const std::string onnx = encode_onnx(layout, saved.params.data(), metadata);
  if (to_stdout) {
    out << onnx;  // the bytes only: main.cpp checks that they were written
    return;
  }
  write_file_atomically(target, onnx);
  out << "wrote " << printable(target.string()) << " (ONNX opset " << kOnnxOpset
      << ": input \"images\" "
      << "float32 [batch, " << layout.shape.input << "] = pixels / 255, output "
      << "\"reconstruction\" [batch, " << layout.shape.input << "])" << std::endl;
}

}  // namespace trainer
