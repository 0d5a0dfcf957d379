// `trainer eval`: the test-set loss of a saved model or checkpoint (commands/commands.h).
#include "commands/commands.h"

#include <cstdio>
#include <iostream>

#include "cli/flag_values.h"
#include "data/cache.h"
#include "data/idx.h"
#include "io/checkpoint.h"
#include "io/model_dir.h"
#include "io/safetensors.h"
#include "io/trained_model.h"
#include "model/autoencoder.h"
#include "report/console.h"
#include "report/fetch_progress.h"
#include "train/device_data.h"
#include "train/resume.h"
#include "util/errors.h"
#include "util/file_read.h"
#include "util/host_bytes.h"
#include "util/path_alias.h"
#include "util/text.h"

namespace trainer {
namespace {

struct ModelToEvaluate {
  std::filesystem::path file;
  TrainedModelSpec spec;
  // Either the whole checkpoint state or just the parameters of a saved model.
  std::vector<float> values;
  bool is_checkpoint = false;
  std::string progress;  // "3 epochs trained", "step 675, inside epoch 2"
};

std::string epochs_trained(int epochs) {
  return std::to_string(epochs) + (epochs == 1 ? " epoch trained" : " epochs trained");
}

ModelToEvaluate load_checkpoint_to_evaluate(const EvalConfig& config, const ModelDir& dir) {
  std::filesystem::path name = *config.checkpoint;
  // A checkpoint of a model directory in a bucket, by its URL: the same object in the local copy.
  const std::string bucket_prefix = config.model_dir + "/";
  if (config.checkpoint->rfind("s3://", 0) == 0) {
    const std::string inside =
        config.checkpoint->substr(std::min(bucket_prefix.size(), config.checkpoint->size()));
    if (config.model_dir.rfind("s3://", 0) != 0 ||
        config.checkpoint->rfind(bucket_prefix, 0) != 0 ||
        ("/" + inside + "/").find("/../") != std::string::npos)
      throw UsageError("--checkpoint: '" + printable(*config.checkpoint) +
                       "' is not in --model-dir " + printable(config.model_dir) +
                       "; give a local path, or a name in <model-dir>/checkpoints");
    name = dir.root() / config.checkpoint->substr(bucket_prefix.size());
  }
  const std::filesystem::path file = dir.find_checkpoint(name);
  ModelToEvaluate model;
  model.file = file;
  model.is_checkpoint = true;
  Checkpoint checkpoint = decode_checkpoint(
      read_text_file(file, kMaxCheckpointBytes, " (--checkpoint)"), file.string());
  model.spec = spec_from_fingerprint(checkpoint, file.string());
  model.values = std::move(checkpoint.state);
  model.progress = checkpoint.cursor > 0
                       ? "step " + std::to_string(checkpoint.step) + ", inside epoch " +
                             std::to_string(checkpoint.epoch + 1)
                       : epochs_trained(checkpoint.epoch);
  return model;
}

ModelToEvaluate load_saved_model_to_evaluate(const EvalConfig& config, const ModelDir& dir) {
  SavedModel saved = dir.load_saved_model(" (train into --model-dir " + config.model_dir +
                                          " first, or pass --checkpoint)");
  ModelToEvaluate model;
  model.file = saved.file;
  model.spec = saved.spec;
  model.values = std::move(saved.params);
  model.progress = epochs_trained(model.spec.epochs);
  return model;
}

}  // namespace

std::variant<EvalConfig, ShowHelp> parse_eval_args(const std::vector<std::string>& args) {
  cxxopts::Options options = command_options(
      "trainer eval", "Print the test-set mean squared error of a saved model or checkpoint.");
  auto text = [] { return cxxopts::value<std::string>(); };
  auto add = options.add_options();
  add("model-dir", "The model directory a training run wrote", text()->default_value("model"));
  add("checkpoint",
      "Evaluate this checkpoint instead of <model-dir>/weights (a path, or a file name in "
      "<model-dir>/checkpoints)",
      text());
  add("dataset", "Test on this dataset's test set (default: the one the model was trained on)",
      text());
  add("h,help", "Show this help");
  add_backend_flags(options);
  add_data_flags(options);
  const cxxopts::ParseResult result = parse_flags(options, "trainer eval", args);
  if (result["help"].as<bool>()) return ShowHelp{options.help(), kDataEnvironmentHelp};

  auto value = [&](const char* flag) { return result[flag].as<std::string>(); };
  EvalConfig config;
  config.model_dir = parse_model_dir_flag(value("model-dir"));
  if (result.count("checkpoint"))
    config.checkpoint = parse_path_flag("checkpoint", value("checkpoint"));
  // An s3:// checkpoint is one of --model-dir's (checked where the model dir is known); any
  // other URL is not a path.
  if (config.checkpoint && config.checkpoint->rfind("s3://", 0) != 0)
    reject_url_flag("checkpoint", *config.checkpoint);
  if (result.count("dataset"))
    config.dataset = parse_choice_flag("dataset", value("dataset"), dataset_names());
  config.backend = parse_backend_flags(result);
  config.data = parse_data_flags(result);
  return config;
}

void run_eval(const EvalConfig& config, std::ostream& out) {
  BackendChoice choice = make_backend(config.backend);
  print_warning(std::cerr, choice.warning);
  if (!choice.note.empty()) out << choice.note << "; using the CPU" << std::endl;
  ModelLocationOptions where = model_location_options(config.data);
  where.keys = weights_only(config.checkpoint.has_value());
  const std::unique_ptr<ModelLocation> location =
      open_model_location(config.model_dir, ModelDirUse::read, where);
  ModelToEvaluate model = config.checkpoint ? load_checkpoint_to_evaluate(config, location->dir())
                                            : load_saved_model_to_evaluate(config, location->dir());
  const std::string dataset_name = config.dataset ? *config.dataset : model.spec.dataset;
  const CatalogDataset* spec = find_dataset(dataset_name);
  if (!spec) {
    throw RuntimeFailure(model.file.string() + ": trained on '" + dataset_name +
                         "', which this trainer does not know (pass --dataset)");
  }
  const int limit = model.spec.limit.value_or(spec->train_count);
  const int train_count = std::min(limit, spec->train_count);
  const int test_count = std::min(limit, spec->test_count);

  ConsoleFetchReporter reporter(out, std::cerr, stdout_is_terminal());
  Dataset data =
      obtain_dataset({resolve_data_dir(config.data.data_dir).path, spec, config.data.fetch, true,
                      DataNeeds{0, test_count}, host_threads(config.backend)},
                     reporter);
  ModelShape shape = model.spec.shape;
  if (model.is_checkpoint) shape.input = data.test_images.pixels_per_image();
  if (shape.input != data.test_images.pixels_per_image()) {
    throw RuntimeFailure(model.file.string() + ": the model takes " + std::to_string(shape.input) +
                         " pixels, " + data.name + " images have " +
                         std::to_string(data.test_images.pixels_per_image()));
  }
  const ModelLayout layout = make_layout(shape);
  const std::size_t expected = model.is_checkpoint ? layout.state_count() : layout.param_count;
  if (model.values.size() != expected) {
    throw RuntimeFailure(model.file.string() + ": holds " + std::to_string(model.values.size()) +
                         " floats, the model its fingerprint describes needs " +
                         std::to_string(expected));
  }
  model.values.resize(layout.state_count(), 0.0f);  // Adam state is not used by evaluation
  Autoencoder autoencoder(*choice.backend, layout, {},
                          std::min(model.spec.batch_size, train_count));
  autoencoder.upload_state(model.values);
  const EvalSet test = upload_eval_set(*choice.backend, std::move(data.test_images), test_count);
  const double mse = mean_squared_error(autoencoder, test);
  check_mapped_files();  // the test images, if written in place meanwhile
  char line[64];
  std::snprintf(line, sizeof line, "%.9g", mse);
  out << printable(shown_path(model.file.string())) << ": test MSE " << line << " on " << test_count
      << " " << data.name << " test images (" << model.progress << ")" << std::endl;
}

}  // namespace trainer
