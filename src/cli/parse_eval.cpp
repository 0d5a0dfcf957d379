#include "cli/parse_eval.h"

#include "cli/data_flags.h"
#include "cli/options.h"
#include "cli/parse_flags.h"
#include "data/catalog.h"

namespace trainer {

std::variant<EvalConfig, ShowHelp> parse_eval_args(const std::vector<std::string>& args) {
  cxxopts::Options options("trainer eval",
                           "Print the test-set mean squared error of a saved model or checkpoint.");
  options.custom_help("[flags]");
  options.positional_help("");
  auto text = [] { return cxxopts::value<std::string>(); };
  auto add = options.add_options();
  add("model-dir", "The model directory a training run wrote", text()->default_value("model"));
  add("checkpoint",
      "Evaluate this checkpoint instead of <model-dir>/saved_model (a path, or a file name in "
      "<model-dir>/checkpoints)",
      text());
  add("dataset", "Test on this dataset's test set (default: the one the model was trained on)",
      text());
  add("h,help", "Show this help");
  add_backend_flags(options);
  add_data_flags(options);
  const cxxopts::ParseResult result = parse_flags(options, "trainer eval", args);
  if (result.count("help"))
    return ShowHelp{options.help() + "\nEnvironment:\n" + kDataEnvironmentHelp};

  auto value = [&](const char* flag) { return result[flag].as<std::string>(); };
  EvalConfig config;
  config.model_dir = parse_path_flag("model-dir", value("model-dir"));
  if (result.count("checkpoint"))
    config.checkpoint = parse_path_flag("checkpoint", value("checkpoint"));
  if (result.count("dataset"))
    config.dataset = parse_choice_flag("dataset", value("dataset"), dataset_names());
  const BackendRequest backend = parse_backend_flags(result);
  config.device = backend.device;
  config.threads = backend.threads;
  DataFlags data = parse_data_flags(result);
  config.data_dir = data.data_dir;
  config.fetch = data.fetch;
  return config;
}

}  // namespace trainer
