#include "cli/parse_model_commands.h"

#include "cli/data_flags.h"
#include "cli/options.h"
#include "cli/parse_flags.h"
#include "util/errors.h"

namespace trainer {

// The grid is for people: beyond 100 images it is wider than any screen.
constexpr int kMaxGridImages = 100;

std::variant<ReconstructConfig, ShowHelp> parse_reconstruct_args(
    const std::vector<std::string>& args) {
  cxxopts::Options options("trainer reconstruct",
                           "Run a saved model on the first test images and write the originals "
                           "over their reconstructions (PNG) or the raw outputs (NumPy .npy).");
  options.custom_help("[flags]");
  options.positional_help("");
  auto text = [] { return cxxopts::value<std::string>(); };
  auto add = options.add_options();
  add("model-dir", "The model directory a training run wrote", text()->default_value("model"));
  add("count", "How many test images, from the first (PNG: 1..100; .npy: 1..the test set)",
      text()->default_value("10"));
  add("out",
      "FILE.png: the 2 x count grid, each image 4x enlarged; FILE.npy: float32 [count, pixels], "
      "the model's outputs",
      text()->default_value("reconstructions.png"));
  add("h,help", "Show this help");
  add_backend_flags(options);
  add_data_flags(options);
  const cxxopts::ParseResult result = parse_flags(options, "trainer reconstruct", args);
  if (result.count("help"))
    return ShowHelp{options.help() + "\nEnvironment:\n" + kDataEnvironmentHelp};
  auto value = [&](const char* flag) { return result[flag].as<std::string>(); };
  ReconstructConfig config;
  config.model_dir = parse_path_flag("model-dir", value("model-dir"));
  config.out = parse_path_flag("out", value("out"));
  const std::string extension = std::filesystem::path(config.out).extension().string();
  if (extension != ".png" && extension != ".npy")
    throw UsageError("--out " + config.out + ": the name must end in .png or .npy");
  config.count = int(
      parse_integer_flag("count", value("count"), 1, extension == ".png" ? kMaxGridImages : 60000));
  const BackendRequest backend = parse_backend_flags(result);
  config.device = backend.device;
  config.threads = backend.threads;
  DataFlags data = parse_data_flags(result);
  config.data_dir = data.data_dir;
  config.fetch = data.fetch;
  return config;
}

std::variant<ExportConfig, ShowHelp> parse_export_args(const std::vector<std::string>& args) {
  cxxopts::Options options("trainer export",
                           "Write a saved model in a format other tools load (ONNX).");
  options.custom_help("[flags]");
  options.positional_help("");
  auto text = [] { return cxxopts::value<std::string>(); };
  auto add = options.add_options();
  add("model-dir", "The model directory a training run wrote", text()->default_value("model"));
  add("format", "onnx (opset 13; README \"Interop\")", text()->default_value("onnx"));
  add("out", "Where to write (default: <model-dir>/model.onnx)", text());
  add("h,help", "Show this help");
  const cxxopts::ParseResult result = parse_flags(options, "trainer export", args);
  if (result.count("help")) return ShowHelp{options.help()};
  auto value = [&](const char* flag) { return result[flag].as<std::string>(); };
  ExportConfig config;
  config.model_dir = parse_path_flag("model-dir", value("model-dir"));
  config.format = parse_choice_flag("format", value("format"), {"onnx"});
  if (result.count("out")) config.out = parse_path_flag("out", value("out"));
  return config;
}

}  // namespace trainer
