// A training run made ready for its first step: flags checked against the checkpoints, data
// loaded, the model directory locked, the model built and resumed, the images on the device.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "io/event_log.h"
#include "io/model_dir.h"
#include "io/model_location.h"
#include "model/autoencoder.h"
#include "report/train_reporter.h"
#include "train/device_data.h"
#include "train/resume.h"
#include "train/train_config.h"
#include "util/file_lock.h"

namespace trainer {

struct PreparedRun {
  std::unique_ptr<TrainReporter> report;
  std::unique_ptr<Backend> backend;
  std::unique_ptr<ModelLocation> location;  // a local directory, or a bucket's local copy
  ModelDir model_dir{""};                   // location->dir()
  std::unique_ptr<FileLock> lock;           // held until the run ends
  std::unique_ptr<EventLog> events;         // TensorBoard's; disabled with --no-tensorboard
  std::optional<ResumePoint> resume;        // the checkpoint it continues from
  StartPoint start;                         // where it continues (epoch 0, step 0 for a new run)
  std::vector<EpochMetrics> history;        // epochs trained before this process
  RunRecord record;                         // what the saved model's config.json says of the run
  ModelLayout layout;
  std::unique_ptr<Autoencoder> model;
  DeviceImages train;
  EvalSet test;
  // The reconstruction grid's originals: the first test images, kept on the host.
  std::vector<std::uint8_t> grid_originals;
  int grid_count = 0, image_rows = 0, image_cols = 0;
};

// In the order that makes a failed start leave nothing behind: the checks that need no I/O first
// (a flag contradicting the checkpoint is a usage error before any data is fetched), then the
// data, and only then the model directory. Throws UsageError / RuntimeFailure.
PreparedRun prepare_run(const TrainConfig& config, std::ostream& out);

}  // namespace trainer
