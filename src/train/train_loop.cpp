#include "train/train_loop.h"

#include <chrono>
#include <iostream>
#include <optional>
#include <sstream>

#include "backend/backend.h"
#include "data/cache.h"
#include "data/data_dir.h"
#include "data/dataset.h"
#include "io/atomic_file.h"
#include "io/container.h"
#include "io/file_lock.h"
#include "io/model_dir.h"
#include "model/autoencoder.h"
#include "model/init.h"
#include "report/console.h"
#include "report/fetch_progress.h"
#include "report/pictures.h"
#include "report/train_reporter.h"
#include "train/evaluate.h"
#include "train/interrupt.h"
#include "train/resume.h"
#include "train/rng.h"
#include "train/schedule.h"
#include "util/errors.h"
#include "util/system_info.h"

namespace trainer {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// One trainer per model directory: a second would interleave checkpoints with the first's.
std::unique_ptr<FileLock> lock_model_dir(const ModelDir& model_dir) {
  const std::filesystem::path lock_file = model_dir.root() / ".lock";
  try {
    return std::make_unique<FileLock>(lock_file, nullptr);
  } catch (const FileLockBusy&) {
    throw RuntimeFailure(model_dir.root().string() +
                         ": another trainer is using this model directory (it holds " +
                         lock_file.string() + "); wait for it or pass another --model-dir");
  }
}

// Where a resumed run starts: completed epochs and the first step inside the next one.
struct StartPoint {
  int epoch = 0;
  int step_in_epoch = 0;
  double epoch_sse = 0, epoch_seconds = 0;
};

StartPoint start_point(const ResumePoint& resume, const StepSchedule& schedule, int batch,
                       int train_count) {
  const Checkpoint& c = resume.checkpoint;
  StartPoint start{c.epoch, int(c.cursor / batch), c.epoch_sse, c.epoch_seconds};
  const bool fits =
      c.cursor % batch == 0 && c.cursor < train_count &&
      c.step == std::int64_t(c.epoch) * schedule.steps_per_epoch + start.step_in_epoch;
  if (!fits) {
    throw RuntimeFailure(resume.file.string() + ": step " + std::to_string(c.step) + ", epoch " +
                         std::to_string(c.epoch) + " and cursor " + std::to_string(c.cursor) +
                         " do not fit " + std::to_string(train_count) + " images in batches of " +
                         std::to_string(batch));
  }
  return start;
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
  const std::unique_ptr<TrainReporter> report =
      make_train_reporter(config.log_format, config.quiet, stdout_is_terminal(),
                          config.progress_interval, out, std::cerr);
  BackendChoice choice = make_backend({config.device, config.threads});
  std::unique_ptr<Backend>& backend = choice.backend;
  if (!choice.note.empty()) report->message(choice.note + "; using the CPU");
  // A flag that contradicts the checkpoint is a usage error: say so before fetching any data.
  const std::filesystem::path checkpoints_dir =
      std::filesystem::path(config.model_dir) / "checkpoints";
  std::optional<ResumePoint> resume;
  std::vector<std::filesystem::path> checkpoints_seen;
  if (!config.fresh) {
    checkpoints_seen = list_checkpoints(checkpoints_dir);
    resume = find_resume_point(checkpoints_dir, config, std::cerr);
  }
  // An unwritable or vanishing model directory is found out before any data is fetched.
  require_writable_directory(config.model_dir, "--model-dir " + config.model_dir,
                             [](int error) { return permission_hint("--model-dir", error); });
  FetchReporter& reporter = report->fetch_reporter();
  if (vanishes_with_container(config.model_dir)) {
    reporter.warning("--model-dir " + config.model_dir +
                     " is in the container's own filesystem: the model and checkpoints vanish "
                     "with the container; mount a directory there (docker run -v \"$PWD/out:" +
                     std::filesystem::absolute(config.model_dir).lexically_normal().string() +
                     "\" ...)");
  }
  Dataset data =
      obtain_dataset({resolve_data_dir(config.data_dir).path, spec, config.fetch}, reporter);
  ModelDir model_dir(config.model_dir);
  const std::unique_ptr<FileLock> lock = lock_model_dir(model_dir);
  // Under the lock: temporaries of a killed run can go, and the checkpoints cannot change.
  remove_stale_temporaries(model_dir.root());
  remove_stale_temporaries(model_dir.root() / "saved_model");
  remove_stale_temporaries(checkpoints_dir);
  // Another trainer may have written checkpoints while the data loaded: look again only then (the
  // first look printed the warnings already).
  if (!config.fresh && list_checkpoints(checkpoints_dir) != checkpoints_seen) {
    std::ostringstream reported_already;
    resume = find_resume_point(checkpoints_dir, config, reported_already);
  }

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
  StepSchedule schedule;
  schedule.steps_per_epoch = (train_count + max_batch - 1) / max_batch;
  schedule.checkpoint_every = config.checkpoint_every;
  schedule.steps_per_recording = backend->steps_per_recording();
  StartPoint start;
  std::vector<EpochMetrics> history;
  if (resume) {
    start = start_point(*resume, schedule, max_batch, train_count);
    history = resume->checkpoint.history;
  }
  model.upload_state(resume ? resume->checkpoint.state : initial_state(layout, config.seed));

  // The reconstruction grid's originals: the first test images, kept on the host.
  const int grid_count = std::min(kGridImages, test_count);
  const int image_rows = data.test_images.rows, image_cols = data.test_images.cols;
  const std::vector<std::uint8_t> grid_originals(
      data.test_images.pixels.begin(),
      data.test_images.pixels.begin() + std::ptrdiff_t(grid_count) * shape.input);
  const DeviceImages train = upload_images(*backend, std::move(data.train_images), train_count);
  const EvalSet test = upload_eval_set(*backend, std::move(data.test_images), test_count);
  const int steps_per_epoch = schedule.steps_per_epoch;
  std::uint32_t* order = backend->allocate_array<std::uint32_t>(std::size_t(train_count));
  float* batch_sse = backend->allocate_array<float>(std::size_t(steps_per_epoch));
  std::vector<float> host_sse(static_cast<std::size_t>(steps_per_epoch));
  // Per-epoch inputs live at fixed addresses so that a segment of steps is the same sequence of
  // ops every epoch (a device may record it once): the image order and each step's Adam step size.
  float* step_sizes = backend->allocate_array<float>(std::size_t(steps_per_epoch));
  std::vector<float> host_step_sizes(static_cast<std::size_t>(steps_per_epoch));

  if (resume) {
    if (start.epoch >= config.epochs) {
      report->already_trained(model_dir.root(), start.epoch);
      // Rewritten in case the run stopped between its checkpoint and its saved model; a
      // checkpoint inside a later epoch is not a trained epoch, and that model is already saved.
      if (!history.empty() && resume->checkpoint.cursor == 0) {
        model_dir.write_saved_model(layout, resume->checkpoint.state.data(), config, data.name,
                                    history.back());
        model_dir.write_metrics(history);
      }
      report->finished(model_dir.saved_model_file());
      return;
    }
  }
  // From here on a signal stops the run at the next step boundary with a checkpoint.
  InterruptGuard interrupts;
  RunStart run_start;
  run_start.dataset = data.name;
  run_start.device = backend->description();
  run_start.model_dir = model_dir.root().string();
  run_start.train_images = train_count;
  run_start.test_images = test_count;
  run_start.epochs = config.epochs;
  run_start.ready_seconds = seconds_since_process_start();
  if (resume) {
    run_start.resumed_from = resume->file.string();
    run_start.start_epoch = start.epoch + 1;
    run_start.start_step = resume->checkpoint.step;
    run_start.start_image = resume->checkpoint.cursor;
  }
  report->started(run_start);

  const double values_per_epoch = double(train_count) * shape.input;
  bool first_checkpoint = true;
  auto save = [&](Checkpoint checkpoint) {
    checkpoint.fingerprint = run_fingerprint(config);
    checkpoint.history = history;
    checkpoint.state = model.download_state();
    const std::filesystem::path file = save_checkpoint(
        checkpoints_dir, checkpoint, config.keep_checkpoints, config.fresh && first_checkpoint);
    first_checkpoint = false;
    report->checkpoint_saved(file, checkpoint.step);
    return std::make_pair(file, std::move(checkpoint.state));
  };
  auto stop_if_interrupted = [&](const std::filesystem::path& saved, const std::string& where) {
    if (const int signal = InterruptGuard::pending()) {
      throw Interrupted(signal, "interrupted by " + InterruptGuard::name(signal) + " " + where +
                                    "; saved " + saved.string() +
                                    "; run the same command again to resume");
    }
  };

  for (int epoch = start.epoch; epoch < config.epochs; ++epoch) {
    const std::int64_t epoch_first_step = std::int64_t(epoch) * steps_per_epoch;
    const bool resumed_here = epoch == start.epoch;
    int s = resumed_here ? start.step_in_epoch : 0;
    double sse = resumed_here ? start.epoch_sse : 0.0;
    const double earlier_seconds = resumed_here ? start.epoch_seconds : 0.0;
    const auto started = std::chrono::steady_clock::now();
    const std::vector<std::uint32_t> host_order =
        epoch_order(config.seed, std::uint64_t(epoch), train_count, config.shuffle);
    for (int k = 0; k < steps_per_epoch; ++k) {
      host_step_sizes[std::size_t(k)] = adam_step_size(config.adam, epoch_first_step + 1 + k);
    }
    backend->upload(order, host_order.data(), host_order.size() * sizeof(std::uint32_t));
    backend->upload(step_sizes, host_step_sizes.data(), host_step_sizes.size() * sizeof(float));
    int summed = s;  // host_sse[summed..s) not yet added to sse
    // Adds the batch losses of steps [summed, s) to sse, in step order.
    auto collect_losses = [&] {
      backend->download(host_sse.data() + summed, batch_sse + summed,
                        std::size_t(s - summed) * sizeof(float));
      for (; summed < s; ++summed) sse += double(host_sse[std::size_t(summed)]);
    };
    const int first_step = s;
    auto last_report = started;
    while (s < steps_per_epoch) {
      const int end = segment_end(schedule, epoch_first_step, s);
      backend->run_recorded("steps " + std::to_string(s) + ".." + std::to_string(end), [&] {
        for (int k = s; k < end; ++k) {
          const int begin = k * max_batch;
          const int batch = std::min(max_batch, train_count - begin);
          model.train_step(train, order + begin, batch, step_sizes + k, batch_sse + k);
        }
      });
      s = end;
      if (s == steps_per_epoch) break;
      const auto now = std::chrono::steady_clock::now();
      if (report->wants_progress(std::chrono::duration<double>(now - last_report).count())) {
        last_report = now;
        collect_losses();
        const double seconds = seconds_since(started);
        const int images_done = std::min(s * max_batch, train_count);
        StepProgress p;
        p.epoch = epoch + 1;
        p.epochs = config.epochs;
        p.step = s;
        p.steps = steps_per_epoch;
        p.global_step = epoch_first_step + s;
        p.loss = sse / (double(images_done) * shape.input);
        p.images_per_second = seconds > 0 ? (s - first_step) * double(max_batch) / seconds : 0;
        p.eta_seconds = seconds * (steps_per_epoch - s) / std::max(1, s - first_step);
        report->progress(p);
      }
      const std::int64_t step = epoch_first_step + s;
      if (checkpoint_due(schedule, step) || InterruptGuard::pending()) {
        collect_losses();
        Checkpoint checkpoint;
        checkpoint.step = step;
        checkpoint.epoch = epoch;
        checkpoint.cursor = std::int64_t(s) * max_batch;
        checkpoint.epoch_sse = sse;
        checkpoint.epoch_seconds = earlier_seconds + seconds_since(started);
        stop_if_interrupted(save(checkpoint).first, "in epoch " + std::to_string(epoch + 1) +
                                                        " at step " + std::to_string(step));
      }
    }
    // Keras' epoch loss: the batch-size-weighted mean of the batch losses, added in step order.
    collect_losses();
    EpochMetrics metrics;
    metrics.seconds = earlier_seconds + seconds_since(started);
    metrics.epoch = epoch + 1;
    metrics.step = epoch_first_step + steps_per_epoch;
    metrics.train_loss = sse / values_per_epoch;
    metrics.test_loss = mean_squared_error(model, test);
    metrics.images_per_second = metrics.seconds > 0 ? train_count / metrics.seconds : 0.0;
    history.push_back(metrics);
    report->epoch_done(metrics, config.epochs);

    Checkpoint checkpoint;
    checkpoint.step = metrics.step;
    checkpoint.epoch = epoch + 1;
    const auto [file, state] = save(checkpoint);
    model_dir.write_saved_model(layout, state.data(), config, data.name, metrics);
    model_dir.write_metrics(history);
    model_dir.write_pictures(
        loss_curve_svg(history, data.name + ", " + model_dir.root().string()),
        // The test set's rows are 0, 1, 2, ...: its first rows are the grid's images.
        reconstruction_grid(grid_originals, model.reconstruct(test.images, test.rows, grid_count),
                            grid_count, image_rows, image_cols));
    if (epoch + 1 < config.epochs)
      stop_if_interrupted(file, "after epoch " + std::to_string(epoch + 1));
  }
  report->finished(model_dir.saved_model_file());
}

}  // namespace trainer
