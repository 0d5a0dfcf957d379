#include "train/eval_command.h"

#include <cstdio>
#include <iostream>

#include "data/cache.h"
#include "data/data_dir.h"
#include "data/idx.h"
#include "io/checkpoint.h"
#include "io/model_dir.h"
#include "io/safetensors.h"
#include "io/saved_model.h"
#include "model/autoencoder.h"
#include "report/console.h"
#include "report/fetch_progress.h"
#include "train/evaluate.h"
#include "util/errors.h"

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

ModelToEvaluate load_checkpoint_to_evaluate(const EvalConfig& config) {
  std::filesystem::path file = *config.checkpoint;
  std::error_code ec;
  const std::filesystem::path in_model_dir =
      std::filesystem::path(config.model_dir) / "checkpoints" / file;
  if (!std::filesystem::exists(file, ec) && file.is_relative() &&
      std::filesystem::exists(in_model_dir, ec))
    file = in_model_dir;
  ModelToEvaluate model;
  model.file = file;
  model.is_checkpoint = true;
  Checkpoint checkpoint = decode_checkpoint(read_text_file(file, " (--checkpoint)"), file.string());
  model.spec = spec_from_fingerprint(checkpoint, file.string());
  model.values = std::move(checkpoint.state);
  model.progress = checkpoint.cursor > 0
                       ? "step " + std::to_string(checkpoint.step) + ", inside epoch " +
                             std::to_string(checkpoint.epoch + 1)
                       : epochs_trained(checkpoint.epoch);
  return model;
}

ModelToEvaluate load_saved_model_to_evaluate(const EvalConfig& config) {
  SavedModel saved =
      load_saved_model(config.model_dir, " (train into --model-dir " + config.model_dir +
                                             " first, or pass --checkpoint)");
  ModelToEvaluate model;
  model.file = saved.file;
  model.spec = saved.spec;
  model.values = std::move(saved.params);
  model.progress = epochs_trained(model.spec.epochs);
  return model;
}

}  // namespace

void run_eval(const EvalConfig& config, std::ostream& out) {
  BackendChoice choice = make_backend({config.device, config.threads});
  if (!choice.note.empty()) out << choice.note << "; using the CPU" << std::endl;
  ModelToEvaluate model = config.checkpoint ? load_checkpoint_to_evaluate(config)
                                            : load_saved_model_to_evaluate(config);
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
      obtain_dataset({resolve_data_dir(config.data_dir).path, spec, config.fetch}, reporter);
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
  char line[64];
  std::snprintf(line, sizeof line, "%.9g", mse);
  out << model.file.string() << ": test MSE " << line << " on " << test_count << " " << data.name
      << " test images (" << model.progress << ")" << std::endl;
}

}  // namespace trainer
