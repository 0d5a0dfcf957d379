// TF model_dir semantics: a run continues from the newest valid checkpoint in its model directory
// unless --fresh, and the flags that would change the result must match the checkpoint's
// fingerprint. Both sides of that fingerprint live here: writing it, and reading a model's shape
// back from it (`trainer eval --checkpoint`).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "io/checkpoint.h"
#include "io/model_dir.h"
#include "train/train_config.h"

namespace trainer {

using Fingerprint = std::vector<std::pair<std::string, std::string>>;

// The flags whose values shape the model or its trajectory, e.g. ("--hidden", "128").
Fingerprint run_fingerprint(const TrainConfig& config);
// The fingerprint entry a checkpoint records its backend's rounding under (Backend::rounding):
// not a flag, so not compared as one.
inline constexpr const char* kRoundingKey = "rounding";
// Whether every flag of `expected` has its value in the checkpoint's fingerprint.
bool same_flags(const Checkpoint& checkpoint, const Fingerprint& expected);
// The rounding `checkpoint` was written with, or "" (checkpoints before it was recorded).
std::string checkpoint_rounding(const Checkpoint& checkpoint);

// 8 hex digits of the fingerprint's SHA-256: equal for runs that compute the same steps (the
// TensorBoard event files of a run are named with it, io/event_log.h).
std::string run_id(const Fingerprint& fingerprint);

// The data and shape a checkpoint's fingerprint describes; throws CheckpointError naming `name`
// when a flag is missing or malformed. shape.input is left at its default.
TrainedModelSpec spec_from_fingerprint(const Checkpoint& checkpoint, const std::string& name);

struct ResumePoint {
  Checkpoint checkpoint;
  std::filesystem::path file;
};

// The newest checkpoint that decodes; each damaged newer one is skipped and reported on `err`.
// Throws UsageError naming the first flag whose value differs from `expected`, and RuntimeFailure
// when checkpoints exist but none is valid.
std::optional<ResumePoint> find_resume_point(const ModelDir& model_dir, const Fingerprint& expected,
                                             std::ostream& err);

// Where a resumed run continues: completed epochs and the first step inside the next one.
struct StartPoint {
  int epoch = 0;
  int step_in_epoch = 0;
  double epoch_sse = 0, epoch_seconds = 0;  // of the epoch it continues
};
// Throws RuntimeFailure naming the checkpoint when its step, epoch and cursor do not fit
// `train_count` images in batches of `batch` (steps_per_epoch of them).
StartPoint start_point(const ResumePoint& resume, int steps_per_epoch, int batch, int train_count);

}  // namespace trainer
