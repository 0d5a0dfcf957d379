#include "train/train_loop.h"

#include <chrono>
#include <iostream>
#include <numeric>
#include <optional>

#include "backend/backend.h"
#include "data/cache.h"
#include "data/data_dir.h"
#include "data/dataset.h"
#include "io/model_dir.h"
#include "model/autoencoder.h"
#include "model/init.h"
#include "report/console.h"
#include "report/fetch_progress.h"
#include "train/resume.h"
#include "train/rng.h"
#include "util/errors.h"

namespace trainer {
namespace {

DeviceImages upload_images(Backend& backend, const IdxImages& images, int count) {
  DeviceImages device;
  device.count = count;
  device.width = images.pixels_per_image();
  const std::size_t bytes = std::size_t(count) * device.width;
  std::uint8_t* pixels = backend.allocate_array<std::uint8_t>(bytes);
  backend.upload(pixels, images.pixels.data(), bytes);
  device.pixels = pixels;
  return device;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

void run_training(const TrainConfig& config, std::ostream& out) {
  const CatalogDataset* spec = find_dataset(config.dataset);
  if (!spec) throw UsageError("--dataset: unknown dataset '" + config.dataset + "'");
  const int train_count =
      config.limit ? std::min(*config.limit, spec->train_count) : spec->train_count;
  const int test_count =
      config.limit ? std::min(*config.limit, spec->test_count) : spec->test_count;

  // Checks that need no I/O first; the model directory is made only once the data is good, so a
  // failed start leaves nothing behind.
  BackendChoice choice = make_backend({config.device, config.threads});
  std::unique_ptr<Backend>& backend = choice.backend;
  if (!choice.note.empty()) out << choice.note << "; using the CPU" << std::endl;
  // A flag that contradicts the checkpoint is a usage error: say so before fetching any data.
  const std::filesystem::path checkpoints_dir =
      std::filesystem::path(config.model_dir) / "checkpoints";
  std::optional<ResumePoint> resume;
  if (!config.fresh) resume = find_resume_point(checkpoints_dir, config, std::cerr);
  ConsoleFetchReporter reporter(out, std::cerr, stdout_is_terminal());
  const Dataset data =
      obtain_dataset({resolve_data_dir(config.data_dir).path, spec, config.fetch}, reporter);
  ModelDir model_dir(config.model_dir);
  ModelShape shape = config.shape;
  shape.input = data.train_images.pixels_per_image();
  const ModelLayout layout = make_layout(shape);
  const int max_batch = std::min(config.batch_size, train_count);
  Autoencoder model(*backend, layout, config.adam, max_batch);
  if (resume && resume->checkpoint.state.size() != layout.state_count()) {
    throw RuntimeFailure(resume->file.string() + ": holds " +
                         std::to_string(resume->checkpoint.state.size()) +
                         " floats, the model needs " + std::to_string(layout.state_count()));
  }
  model.upload_state(resume ? resume->checkpoint.state : initial_state(layout, config.seed));

  const DeviceImages train = upload_images(*backend, data.train_images, train_count);
  const DeviceImages test = upload_images(*backend, data.test_images, test_count);
  std::uint32_t* order = backend->allocate_array<std::uint32_t>(std::size_t(train_count));
  std::uint32_t* test_rows = backend->allocate_array<std::uint32_t>(std::size_t(test_count));
  std::vector<std::uint32_t> identity(static_cast<std::size_t>(test_count));
  std::iota(identity.begin(), identity.end(), 0u);
  backend->upload(test_rows, identity.data(), identity.size() * sizeof(std::uint32_t));
  const int steps_per_epoch = (train_count + max_batch - 1) / max_batch;
  float* batch_sse = backend->allocate_array<float>(std::size_t(steps_per_epoch));
  std::vector<float> host_sse(static_cast<std::size_t>(steps_per_epoch));
  // Per-epoch inputs live at fixed addresses so that the epoch is the same sequence of ops every
  // time (a device may record it once): the image order and each step's Adam step size.
  float* step_sizes = backend->allocate_array<float>(std::size_t(steps_per_epoch));
  std::vector<float> host_step_sizes(static_cast<std::size_t>(steps_per_epoch));

  std::vector<EpochMetrics> history;
  std::int64_t step = 0;
  int first_epoch = 0;
  if (resume) {
    history = resume->checkpoint.history;
    step = resume->checkpoint.step;
    first_epoch = resume->checkpoint.epoch;
    if (first_epoch >= config.epochs) {
      out << model_dir.root().string() << " is already trained for " << first_epoch
          << " epochs (--epochs " << config.epochs << "): nothing to do" << std::endl;
      if (!history.empty()) {
        model_dir.write_saved_model(layout, resume->checkpoint.state.data(), config, data.name,
                                    history.back());
        model_dir.write_metrics(history);
      }
      print_saved(out, model_dir.saved_model_file());
      return;
    }
    out << "resuming at epoch " << first_epoch + 1 << ", step " << step << " from "
        << resume->file.string() << std::endl;
  }
  print_start(out, data.name, train_count, test_count, backend->description(), config.epochs,
              model_dir.root());
  const double values_per_epoch = double(train_count) * shape.input;
  bool first_checkpoint = true;
  for (int epoch = first_epoch; epoch < config.epochs; ++epoch) {
    const std::vector<std::uint32_t> host_order =
        epoch_order(config.seed, std::uint64_t(epoch), train_count, config.shuffle);
    const auto start = std::chrono::steady_clock::now();
    for (int s = 0; s < steps_per_epoch; ++s) {
      host_step_sizes[std::size_t(s)] = adam_step_size(config.adam, step + 1 + s);
    }
    backend->upload(order, host_order.data(), host_order.size() * sizeof(std::uint32_t));
    backend->upload(step_sizes, host_step_sizes.data(), host_step_sizes.size() * sizeof(float));
    backend->run_recorded("epoch", [&] {
      for (int s = 0; s < steps_per_epoch; ++s) {
        const int begin = s * max_batch;
        const int batch = std::min(max_batch, train_count - begin);
        model.train_step(train, order + begin, batch, step_sizes + s, batch_sse + s);
      }
    });
    step += steps_per_epoch;
    backend->download(host_sse.data(), batch_sse, host_sse.size() * sizeof(float));
    EpochMetrics metrics;
    metrics.seconds = seconds_since(start);
    metrics.epoch = epoch + 1;
    metrics.step = step;
    // Keras' epoch loss: the batch-size-weighted mean of the batch losses.
    double sse = 0.0;
    for (float batch_value : host_sse) sse += double(batch_value);
    metrics.train_loss = sse / values_per_epoch;
    metrics.test_loss =
        model.sum_squared_error(test, test_rows, test_count) / (double(test_count) * shape.input);
    metrics.images_per_second = metrics.seconds > 0 ? train_count / metrics.seconds : 0.0;
    history.push_back(metrics);
    print_epoch(out, metrics, config.epochs);

    Checkpoint checkpoint;
    checkpoint.step = step;
    checkpoint.epoch = epoch + 1;
    checkpoint.fingerprint = run_fingerprint(config);
    checkpoint.history = history;
    checkpoint.state = model.download_state();
    save_checkpoint(checkpoints_dir, checkpoint, config.keep_checkpoints,
                    config.fresh && first_checkpoint);
    first_checkpoint = false;
    model_dir.write_saved_model(layout, checkpoint.state.data(), config, data.name, metrics);
    model_dir.write_metrics(history);
  }
  print_saved(out, model_dir.saved_model_file());
}

}  // namespace trainer
