// How a training run reports itself (README "Output"): for people on a terminal a live line per
// epoch (step/total, loss, img/s, ETA) that the epoch's summary replaces; for logs one plain line
// per epoch; with --log-format json one JSON object per event on stdout; with --quiet nothing but
// errors and warnings (stderr). The training loop calls one interface and never asks which.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <ostream>
#include <string>

#include "data/fetch.h"
#include "io/trained_model.h"

namespace trainer {

enum class LogFormat { text, json };

// --log-format, --quiet, --progress-interval.
struct ReportOptions {
  LogFormat format = LogFormat::text;
  bool quiet = false;
  std::optional<double> progress_interval;  // seconds; else the format's default
};

struct RunStart {
  std::string dataset, device, model_dir;
  int train_images = 0, test_images = 0, epochs = 0;
  double ready_seconds = 0;  // process start to the first step
  // Set when resuming: the checkpoint, and where training continues (epoch from 1).
  std::optional<std::string> resumed_from;
  int start_epoch = 1;
  std::int64_t start_step = 0;
  std::int64_t start_image = 0;  // images of start_epoch already trained
};

struct StepProgress {
  int epoch = 0, epochs = 0;  // epoch from 1
  int step = 0, steps = 0;    // steps of this epoch done, of steps_per_epoch
  std::int64_t global_step = 0;
  double loss = 0;               // mean squared error over the epoch's images so far
  double images_per_second = 0;  // this epoch, this process
  double eta_seconds = 0;        // to the end of this epoch
};

class TrainReporter {
 public:
  virtual ~TrainReporter() = default;
  // A line for people that is not an event of its own ("no usable GPU; using the CPU").
  virtual void message(const std::string& text) = 0;
  virtual void started(const RunStart& start) = 0;
  // Whether progress() wants a report `seconds` after the previous one (or the epoch's start):
  // the loop reads the losses only then, so a GPU is not synchronised every step.
  virtual bool wants_progress(double seconds) const = 0;
  virtual void progress(const StepProgress& progress) = 0;
  virtual void epoch_done(const EpochMetrics& metrics, int epochs) = 0;
  virtual void checkpoint_saved(const std::filesystem::path& file, std::int64_t step) = 0;
  // The run already had `epochs` epochs: nothing was trained.
  virtual void already_trained(const std::filesystem::path& model_dir, int epochs) = 0;
  virtual void finished(const std::filesystem::path& model_file) = 0;
  // The reporter for data downloads in the same format.
  virtual FetchReporter& fetch_reporter() = 0;
};

// interactive: stdout is a terminal (live lines). Without a progress interval, 0.1 s for live lines
// and 1 s for JSON.
std::unique_ptr<TrainReporter> make_train_reporter(const ReportOptions& options, bool interactive,
                                                   std::ostream& out, std::ostream& err);

}  // namespace trainer
