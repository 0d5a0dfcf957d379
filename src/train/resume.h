// TF model_dir semantics: a run continues from the newest valid checkpoint in
// <model-dir>/checkpoints unless --fresh; flags that would change the result must match.
#pragma once

#include <filesystem>
#include <optional>
#include <ostream>

#include "io/checkpoint.h"
#include "train/train_config.h"

namespace trainer {

struct ResumePoint {
  Checkpoint checkpoint;
  std::filesystem::path file;
};

// The newest checkpoint that decodes; each damaged newer one is skipped and reported on `err`.
// Throws UsageError naming the first flag whose value differs from the checkpoint's, and
// RuntimeFailure when checkpoints exist but none is valid.
std::optional<ResumePoint> find_resume_point(const std::filesystem::path& checkpoints_dir,
                                             const TrainConfig& config, std::ostream& err);

// Writes atomically, then keeps the `keep` newest. `first_of_fresh_run`: the directory's older
// checkpoints belong to the run --fresh replaced and are removed now that a new one exists.
// Returns the file written.
std::filesystem::path save_checkpoint(const std::filesystem::path& checkpoints_dir,
                                      const Checkpoint& checkpoint, int keep,
                                      bool first_of_fresh_run);

}  // namespace trainer
