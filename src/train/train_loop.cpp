#include "train/train_loop.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <optional>

#include "io/png.h"
#include "report/pictures.h"
#include "train/epoch_runner.h"
#include "train/interrupt.h"
#include "train/prepared_run.h"
#include "util/errors.h"
#include "util/file_read.h"
#include "util/host_bytes.h"
#include "util/path_alias.h"
#include "util/system_info.h"
#include "util/text.h"
#include "version.h"

namespace trainer {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

// Checkpoints of this run: each carries the fingerprint, the history and the model's state; the
// first one of a --fresh run removes the checkpoints of the run it replaces.
class CheckpointWriter {
 public:
  CheckpointWriter(const PreparedRun& run, const TrainConfig& config)
      : run_(run), config_(config), fingerprint_(run_fingerprint(config)) {}

  // Fills in the rest of `checkpoint` (its state stays there for the caller) and saves it.
  std::filesystem::path save(Checkpoint& checkpoint, const std::vector<EpochMetrics>& history) {
    checkpoint.fingerprint = fingerprint_;
    // Not a flag: a resume on the other rounding is allowed, and warned about (prepared_run.cpp).
    checkpoint.fingerprint.emplace_back(kRoundingKey, run_.backend->rounding());
    checkpoint.history = history;
    checkpoint.state = run_.model->download_state();
    // A ReLU can hide a NaN weight from the loss: the state itself must be finite to be saved.
    for (const float value : checkpoint.state) {
      if (!std::isfinite(value)) {
        throw RuntimeFailure(
            "training diverged: a weight or optimizer value is not finite at step " +
            std::to_string(checkpoint.step) + "; nothing of it was saved");
      }
    }
    // Images mapped from the decoded cache and written in place since: nothing trained on them is
    // saved (util/host_bytes.h).
    check_mapped_files();
    // The events of the steps this checkpoint covers go first (event_log.h): after a kill the
    // log holds every step the resumed run does not train again.
    run_.events->commit();
    std::filesystem::path file;
    try {
      file = run_.model_dir.save_checkpoint(checkpoint, config_.keep_checkpoints,
                                            config_.fresh && first_);
    } catch (...) {
      run_.events->undo_commit();
      throw;
    }
    first_ = false;
    run_.events->checkpoint_saved();
    run_.location->changed();  // a bucket's copy: uploaded from another thread
    run_.report->checkpoint_saved(file, checkpoint.step);
    return file;
  }

 private:
  const PreparedRun& run_;
  const TrainConfig& config_;
  const Fingerprint fingerprint_;
  bool first_ = true;
};

// Why the run must stop at the next step boundary, or 0: SIGTERM or SIGINT, or standard
// output gone (the reader of a log pipe exited: `trainer | head -1`), which stops the run as a
// signal would rather than train on unseen; SIGPIPE itself is ignored (main.cpp).
int stop_reason(const std::ostream& out) {
  if (const int signal = InterruptGuard::pending()) return signal;
  return out.good() ? 0 : SIGPIPE;
}

// Stops the run with the checkpoint just saved (and, for a bucket, uploaded), if it must stop.
void stop_if_asked(const std::ostream& out, ModelLocation& location,
                   const std::filesystem::path& saved, const std::string& where) {
  if (const int reason = stop_reason(out)) {
    location.finish();
    const std::string why = reason == SIGPIPE ? "standard output was closed"
                                              : "interrupted by " + InterruptGuard::name(reason);
    throw Interrupted(reason, why + " " + where + "; saved " + saved.string() +
                                  "; run the same command again to resume");
  }
}

// A loss that is not finite (a diverging run, e.g. too large a --learning-rate) ends the run
// before anything of it is saved: a checkpoint with inf or NaN weights could not be resumed
// usefully and its JSON could not hold the loss. The newest checkpoint stays the last finite state.
void check_finite(double loss, const PreparedRun& run, EpochRunner& steps, int epoch,
                  const char* what) {
  if (std::isfinite(loss)) return;
  const int step = steps.first_non_finite_step();
  const std::int64_t global = std::int64_t(epoch) * steps.steps_per_epoch() + std::max(step, 0) + 1;
  const std::vector<std::filesystem::path> saved = run.model_dir.list_checkpoints();
  throw RuntimeFailure(std::string("training diverged: the ") + what + " is " +
                       (std::isnan(loss) ? "NaN" : "inf") + " in epoch " +
                       std::to_string(epoch + 1) +
                       (step >= 0 ? " from step " + std::to_string(global) : std::string()) +
                       "; nothing of it was saved; the newest checkpoint is " +
                       (saved.empty() ? std::string("none") : saved.front().string()) +
                       " (a smaller --learning-rate may help)");
}

RunStart run_start(const PreparedRun& run, const TrainConfig& config) {
  RunStart s;
  s.dataset = run.record.dataset;
  s.device = run.backend->description();
  s.model_dir = config.model_dir;  // as given: a bucket's URL, not its local copy
  s.train_images = run.train.count;
  s.test_images = run.test.images.count;
  s.epochs = config.epochs;
  s.ready_seconds = seconds_since_process_start();
  if (run.resume) {
    s.resumed_from = shown_path(run.resume->file.string());
    s.start_epoch = run.start.epoch + 1;
    s.start_step = run.resume->checkpoint.step;
    s.start_image = run.resume->checkpoint.cursor;
  }
  return s;
}

// The reconstruction grid of the model as it is now, and its PNG bytes.
struct Grid {
  GrayImage image;
  std::string png;
};
Grid reconstruction_grid_now(const PreparedRun& run) {
  Grid grid;
  // The test set's rows are 0, 1, 2, ...: its first rows are the grid's images.
  grid.image = reconstruction_grid(
      run.grid_originals, run.model->reconstruct(run.test.images, run.test.rows, run.grid_count),
      run.grid_count, run.image_rows, run.image_cols);
  grid.png = encode_png(grid.image);
  return grid;
}

// What each finished epoch leaves in the model directory besides its checkpoint: the weights and
// the SavedModel (from the checkpoint's state), metrics.jsonl and the two pictures.
void write_epoch_outputs(const PreparedRun& run, const std::vector<float>& state,
                         const Grid& grid) {
  check_mapped_files();
  const EpochMetrics& metrics = run.history.back();
  run.model_dir.write_weights(run.layout, state.data(), run.record, metrics);
  run.model_dir.write_serving_model(run.layout, state.data(), metrics.epoch);
  run.model_dir.write_metrics(run.history);
  run.model_dir.write_pictures(
      loss_curve_svg(run.history, run.record.dataset + ", " + run.model_dir.root().string()),
      grid.png);
  run.location->changed();
}

// Whether the saved model is the last whole epoch's.
bool saved_model_is_of_epoch(const ModelDir& dir, int epoch) {
  if (!dir.is_trained()) return false;
  try {
    return dir.load_spec("").epochs == epoch;
  } catch (const RuntimeFailure&) {
    return false;
  }
}

// The checkpoint at the end of epoch `epoch` of this run, if it is still kept and sound.
std::optional<Checkpoint> epoch_end_checkpoint(const PreparedRun& run, const TrainConfig& config,
                                               int epoch) {
  const int batch = run.model->max_batch();
  const std::int64_t steps_per_epoch = (run.train.count + batch - 1) / batch;
  const std::filesystem::path file = run.model_dir.checkpoint_file(epoch * steps_per_epoch);
  try {
    Checkpoint c = decode_checkpoint(read_text_file(file, kMaxCheckpointBytes, ""), file.string());
    if (c.cursor == 0 && c.epoch == epoch && same_flags(c, run_fingerprint(config)) &&
        c.state.size() == run.layout.state_count())
      return c;
  } catch (const RuntimeFailure&) {
  }
  return std::nullopt;
}

// A resumed run whose epochs are all trained: the epoch's outputs are written again in case the
// run stopped between its checkpoint and them (or the directory is of layout 1). When the newest
// checkpoint is inside a later epoch, the last whole epoch's saved model is normally there; if it
// is not (a run killed between that epoch's checkpoint and its outputs, then inside the next), it
// is written from that epoch's own checkpoint, or the run says what is missing.
void finish_trained_run(PreparedRun& run, const TrainConfig& config) {
  const Checkpoint& newest = run.resume->checkpoint;
  if (newest.cursor > 0 && run.start.epoch > 0 &&
      !saved_model_is_of_epoch(run.model_dir, run.start.epoch)) {
    std::optional<Checkpoint> end = epoch_end_checkpoint(run, config, run.start.epoch);
    if (!end)
      throw RuntimeFailure(
          shown_path(run.model_dir.root().string()) + ": trained into epoch " +
          std::to_string(run.start.epoch + 1) + " (the newest checkpoint, " +
          shown_path(run.resume->file.string()) + ", is at step " + std::to_string(newest.step) +
          " inside it), but no saved model of epoch " + std::to_string(run.start.epoch) +
          " exists and the checkpoint of its end is not kept; run with --epochs " +
          std::to_string(run.start.epoch + 1) + " to finish epoch " +
          std::to_string(run.start.epoch + 1) + " and save it");
    run.report->message("epoch " + std::to_string(run.start.epoch) +
                        "'s saved model was missing: written from its checkpoint " +
                        shown_path(run.model_dir.checkpoint_file(end->step).string()));
    run.history = end->history;
    run.model->upload_state(end->state);
    write_epoch_outputs(run, end->state, reconstruction_grid_now(run));
  } else {
    run.report->already_trained(run.model_dir.root(), run.start.epoch);
    if (!run.history.empty() && newest.cursor == 0)
      write_epoch_outputs(run, newest.state, reconstruction_grid_now(run));
  }
  run.location->finish();
  run.report->finished(run.model_dir.weights_file());
}

// TensorBoard's epoch summaries, queued to be committed with the epoch's checkpoint.
void log_epoch(EventLog& events, const EpochMetrics& metrics, const Grid& grid) {
  events.scalar(metrics.step, "epoch/train_loss", metrics.train_loss);
  events.scalar(metrics.step, "epoch/test_loss", metrics.test_loss);
  events.scalar(metrics.step, "epoch/images_per_second", metrics.images_per_second);
  events.scalar(metrics.step, "epoch/seconds", metrics.seconds);
  events.gray_image(metrics.step, "reconstructions", grid.image.height, grid.image.width, grid.png);
}

// TensorBoard's text for the run: what decides its result, and where it ran.
std::string flags_markdown(const TrainConfig& config, const PreparedRun& run) {
  auto cell = [](const std::string& text) {
    std::string escaped;
    for (const char c : printable(text)) {  // foreign bytes as \xNN: the text plugin wants UTF-8
      if (c == '|') escaped += '\\';
      escaped += c == '\n' ? ' ' : c;
    }
    return escaped;
  };
  std::string text = "| flag | value |\n|---|---|\n";
  Fingerprint rows = run_fingerprint(config);
  rows.insert(rows.begin(), {"--epochs", std::to_string(config.epochs)});
  rows.emplace_back("--checkpoint-every", std::to_string(config.checkpoint_every));
  rows.emplace_back("--model-dir", config.model_dir);
  rows.emplace_back("device", run.backend->description());
  rows.emplace_back("trainer", TRAINER_VERSION);
  for (const auto& [flag, value] : rows) text += "| " + cell(flag) + " | " + cell(value) + " |\n";
  return text;
}

// The live line's or JSON event's numbers, `s` steps into the epoch (from `first_step`).
StepProgress progress_at(const PreparedRun& run, EpochRunner& steps, int epoch, int epochs, int s,
                         int first_step, double seconds) {
  const int batch = run.model->max_batch();
  const int images_done = std::min(s * batch, run.train.count);
  StepProgress p;
  p.epoch = epoch + 1;
  p.epochs = epochs;
  p.step = s;
  p.steps = steps.steps_per_epoch();
  p.global_step = std::int64_t(epoch) * steps.steps_per_epoch() + s;
  p.loss = steps.epoch_sse() / (double(images_done) * run.layout.shape.input);
  p.images_per_second = seconds > 0 ? (s - first_step) * double(batch) / seconds : 0;
  p.eta_seconds = seconds * (steps.steps_per_epoch() - s) / std::max(1, s - first_step);
  return p;
}

// TensorBoard's curves inside epochs: the running loss and Adam's step size at the first pause at
// or past each multiple of --tensorboard-every steps (every step on the CPU; on a device that
// records segments, a segment's end).
class ProgressLog {
 public:
  ProgressLog(EventLog& events, const TrainConfig& config, std::int64_t first_step)
      : events_(events), adam_(config.adam), every_(config.tensorboard_every), last_(first_step) {}
  bool due(std::int64_t step) const { return every_ > 0 && step / every_ > last_ / every_; }
  void log(std::int64_t step, double loss) {
    events_.scalar(step, "progress/loss", loss);
    events_.scalar(step, "progress/step_size", adam_step_size(adam_, step));
    last_ = step;
  }

 private:
  EventLog& events_;
  AdamConfig adam_;
  std::int64_t every_, last_;
};

}  // namespace

void run_training(const TrainConfig& config, std::ostream& out) {
  PreparedRun run = prepare_run(config, out);
  if (run.start.epoch >= config.epochs) return finish_trained_run(run, config);
  TrainReporter& report = *run.report;
  Autoencoder& model = *run.model;
  EpochRunner steps(
      *run.backend, model, run.train,
      {config.batch_size, config.seed, config.shuffle, config.adam, config.checkpoint_every});
  const int steps_per_epoch = steps.steps_per_epoch();
  const int batch = model.max_batch();
  CheckpointWriter checkpoints(run, config);

  // From here on a signal stops the run at the next step boundary with a checkpoint.
  InterruptGuard interrupts;
  report.started(run_start(run, config));
  const std::int64_t run_first_step =
      std::int64_t(run.start.epoch) * steps_per_epoch + run.start.step_in_epoch;
  run.events->text(run_first_step, "flags", flags_markdown(config, run));
  ProgressLog progress_log(*run.events, config, run_first_step);

  for (int epoch = run.start.epoch; epoch < config.epochs; ++epoch) {
    const std::int64_t epoch_first_step = std::int64_t(epoch) * steps_per_epoch;
    const bool resumed_here = epoch == run.start.epoch;
    const int first_step = resumed_here ? run.start.step_in_epoch : 0;
    const double earlier_seconds = resumed_here ? run.start.epoch_seconds : 0.0;
    const Clock::time_point started = Clock::now();
    Clock::time_point last_report = started;

    const double sse =
        steps.run_epoch(epoch, first_step, resumed_here ? run.start.epoch_sse : 0.0, [&](int s) {
          // Progress, when the reporter wants it: only then are the step losses read.
          const Clock::time_point now = Clock::now();
          if (report.wants_progress(seconds_between(last_report, now))) {
            last_report = now;
            check_finite(steps.epoch_sse(), run, steps, epoch, "training loss");
            report.progress(progress_at(run, steps, epoch, config.epochs, s, first_step,
                                        seconds_between(started, now)));
          }
          const std::int64_t step = epoch_first_step + s;
          if (progress_log.due(step)) {
            const double sse_so_far = steps.epoch_sse();
            check_finite(sse_so_far, run, steps, epoch, "training loss");
            progress_log.log(step, sse_so_far / (double(std::min(s * batch, run.train.count)) *
                                                 run.layout.shape.input));
          }
          // A checkpoint inside the epoch: every --checkpoint-every steps, and on a signal, after
          // which the run stops.
          if (checkpoint_due(steps.plan(), step) || stop_reason(out)) {
            check_finite(steps.epoch_sse(), run, steps, epoch, "training loss");
            Checkpoint checkpoint;
            checkpoint.step = step;
            checkpoint.epoch = epoch;
            checkpoint.cursor = std::int64_t(s) * batch;
            checkpoint.epoch_sse = steps.epoch_sse();
            checkpoint.epoch_seconds = earlier_seconds + seconds_between(started, Clock::now());
            stop_if_asked(
                out, *run.location, checkpoints.save(checkpoint, run.history),
                "in epoch " + std::to_string(epoch + 1) + " at step " + std::to_string(step));
          }
        });

    // The epoch's end: its metrics (Keras' epoch loss: the batch-size-weighted mean of the batch
    // losses, added in step order), a checkpoint, the saved model, metrics.jsonl and pictures.
    EpochMetrics metrics;
    metrics.seconds = earlier_seconds + seconds_between(started, Clock::now());
    metrics.epoch = epoch + 1;
    metrics.step = epoch_first_step + steps_per_epoch;
    metrics.train_loss = sse / (double(run.train.count) * run.layout.shape.input);
    check_finite(sse, run, steps, epoch, "training loss");
    metrics.test_loss = mean_squared_error(model, run.test);
    check_finite(metrics.test_loss, run, steps, epoch, "test loss");
    metrics.images_per_second = metrics.seconds > 0 ? run.train.count / metrics.seconds : 0.0;
    run.history.push_back(metrics);
    if (progress_log.due(metrics.step)) progress_log.log(metrics.step, metrics.train_loss);
    const Grid grid = reconstruction_grid_now(run);
    log_epoch(*run.events, metrics, grid);
    Checkpoint checkpoint;
    checkpoint.step = metrics.step;
    checkpoint.epoch = epoch + 1;
    const std::filesystem::path saved = checkpoints.save(checkpoint, run.history);
    write_epoch_outputs(run, checkpoint.state, grid);
    // Reported once saved: a log that cannot be written never costs a finished epoch.
    report.epoch_done(metrics, config.epochs);
    // A signal during the epoch's last steps stops the run here, between epochs.
    if (epoch + 1 < config.epochs)
      stop_if_asked(out, *run.location, saved, "after epoch " + std::to_string(epoch + 1));
  }
  run.location->finish();  // a bucket's copy: the step loop's one wait on the network
  report.finished(run.model_dir.weights_file());
}

}  // namespace trainer
