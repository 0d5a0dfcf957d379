// `trainer export`: the trained model as ONNX or as a TensorFlow SavedModel.
#include "commands/commands.h"

#include <algorithm>
#include <map>

#include "cli/flag_values.h"

#include "io/model_dir.h"
#include "io/onnx_export.h"
#include "io/tf_saved_model.h"
#include "util/atomic_file.h"
#include "util/errors.h"
#include "util/path_alias.h"
#include "util/text.h"
#include "version.h"

namespace trainer {

std::variant<ExportConfig, ShowHelp> parse_export_args(const std::vector<std::string>& args) {
  cxxopts::Options options =
      command_options("trainer export",
                      "Write the trained model in a format other tools load (ONNX, TensorFlow "
                      "SavedModel).");
  auto text = [] { return cxxopts::value<std::string>(); };
  auto add = options.add_options();
  add("model-dir", "The model directory a training run wrote", text()->default_value("model"));
  add("format",
      "onnx (opset 13) or savedmodel (TF Serving's layout: <out>/<version>/saved_model.pb); "
      "README \"Interop\"",
      text()->default_value("onnx"));
  add("out",
      "Where to write: the .onnx file, - for standard output (default: <model-dir>/model.onnx); "
      "for savedmodel the base directory (default: <model-dir>/saved_model)",
      text());
  add("serving-version",
      "savedmodel: the version directory's number (1..2147483647; default: the epochs trained)",
      text());
  add("h,help", "Show this help");
  const cxxopts::ParseResult result = parse_flags(options, "trainer export", args);
  if (result["help"].as<bool>()) return ShowHelp{options.help(), ""};
  auto value = [&](const char* flag) { return result[flag].as<std::string>(); };
  ExportConfig config;
  config.model_dir = parse_model_dir_flag(value("model-dir"));
  config.format = parse_choice_flag("format", value("format"), {"onnx", "savedmodel"});
  if (result.count("out")) {
    config.out = parse_path_flag("out", value("out"));
    // A local path: the default, inside the model directory, is what goes to a bucket.
    reject_url_flag("out", *config.out);
  }
  if (result.count("serving-version")) {
    if (config.format != "savedmodel")
      throw UsageError("--serving-version: only with --format savedmodel");
    config.serving_version =
        int(parse_integer_flag("serving-version", value("serving-version"), 1, 2147483647));
  }
  if (config.format == "savedmodel" && config.out && *config.out == "-")
    throw UsageError("--out -: a SavedModel is a directory; give a base directory");
  return config;
}

namespace {

void export_saved_model(const ExportConfig& config, ModelLocation& location, std::ostream& out) {
  const ModelDir& model_dir = location.dir();
  const std::filesystem::path base =
      config.out ? std::filesystem::path(*config.out) : model_dir.serving_base_dir();
  const SavedModel saved =
      model_dir.load_saved_model(" (train into --model-dir " + config.model_dir + " first)");
  const int version = config.serving_version.value_or(std::max(1, saved.spec.epochs));
  const std::filesystem::path dir = base / std::to_string(version);
  const ModelLayout layout = make_layout(saved.spec.shape);
  make_directories(base);
  write_tf_saved_model(dir, layout, saved.params.data());
  location.finish();
  out << "wrote " << printable(shown_path(dir.string()))
      << " (TensorFlow SavedModel, tag \"serve\", "
      << "signature \"serving_default\": input \"images\" float32 [-1, " << layout.shape.input
      << "] = pixels / 255, output \"reconstruction\" [-1, " << layout.shape.input << "])"
      << std::endl;
}

}  // namespace

void run_export(const ExportConfig& config, std::ostream& out) {
  // What export writes into the model directory goes to the bucket when it is one.
  ModelLocationOptions where = model_location_options({});
  where.keys = weights_only();  // what export writes is added to the bucket, nothing removed
  const std::unique_ptr<ModelLocation> location =
      open_model_location(config.model_dir, ModelDirUse::write, where);
  if (config.format == "savedmodel") return export_saved_model(config, *location, out);
  const ModelDir& model_dir = location->dir();
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
  location->finish();
  out << "wrote " << printable(shown_path(target.string())) << " (ONNX opset " << kOnnxOpset
      << ": input \"images\" "
      << "float32 [batch, " << layout.shape.input << "] = pixels / 255, output "
      << "\"reconstruction\" [batch, " << layout.shape.input << "])" << std::endl;
}

}  // namespace trainer
