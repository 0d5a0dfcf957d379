// A model directory (TF model_dir semantics; README "Model directory"). This class owns its whole
// layout: no other file spells these names.
//   saved_model/model.safetensors, saved_model/config.json   the servable model, after each epoch
//   checkpoints/ckpt-<step, 10 digits>.ckpt                  to resume; the newest `keep` of them
//   metrics.jsonl, loss.svg, reconstructions.png             for scripts and people, each epoch
//   model.onnx                                               where `trainer export` writes
//   .lock                                                    held by the one trainer using it
//   .<name>.tmp.<pid>.<tag>                                  atomic writes in progress (util/)
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "io/checkpoint.h"
#include "io/png.h"
#include "io/saved_model.h"
#include "model/layout.h"
#include "util/file_lock.h"

namespace trainer {

class ModelDir {
 public:
  // Names a directory; nothing is read or made until a method is called.
  explicit ModelDir(std::filesystem::path root) : root_(std::move(root)) {}
  const std::filesystem::path& root() const { return root_; }

  std::filesystem::path saved_model_file() const { return saved_model_dir() / "model.safetensors"; }
  std::filesystem::path config_file() const { return saved_model_dir() / "config.json"; }
  std::filesystem::path checkpoints_dir() const { return root_ / "checkpoints"; }
  std::filesystem::path checkpoint_file(std::int64_t step) const;
  std::filesystem::path metrics_file() const { return root_ / "metrics.jsonl"; }
  std::filesystem::path loss_curve_file() const { return root_ / "loss.svg"; }
  std::filesystem::path reconstructions_file() const { return root_ / "reconstructions.png"; }
  std::filesystem::path onnx_file() const { return root_ / "model.onnx"; }

  // Before any work: RuntimeFailure naming the first of saved_model/ and checkpoints/ that exists
  // and is not a directory, or of the files a run writes (the saved model, metrics, pictures, the
  // checkpoints there) that exists and is not a regular file: a run must not find out after it has
  // replaced half of them.
  void check_layout() const;
  // For a training run: makes the directories, takes the lock (RuntimeFailure when another trainer
  // holds it) and, under it, removes the temporaries that killed runs left behind.
  std::unique_ptr<FileLock> lock_for_training() const;

  // The checkpoints, newest (highest step) first.
  std::vector<std::filesystem::path> list_checkpoints() const;
  // `trainer eval --checkpoint NAME`: NAME as a path, else as a file name in checkpoints/.
  std::filesystem::path find_checkpoint(const std::filesystem::path& name) const;
  // Writes atomically, then keeps the `keep` newest. `first_of_fresh_run`: the older checkpoints
  // belong to the run --fresh replaced and are removed now that a new one exists. Returns the file.
  std::filesystem::path save_checkpoint(const Checkpoint& checkpoint, int keep,
                                        bool first_of_fresh_run) const;

  // Each replaced atomically.
  void write_saved_model(const ModelLayout& layout, const float* params, const RunRecord& run,
                         const EpochMetrics& last) const;
  void write_metrics(const std::vector<EpochMetrics>& epochs) const;
  void write_pictures(const std::string& loss_svg, const GrayImage& reconstructions) const;

  // Throws RuntimeFailure naming the file; `missing_hint` follows "does not exist".
  SavedModel load_saved_model(const std::string& missing_hint) const;

 private:
  std::filesystem::path saved_model_dir() const { return root_ / "saved_model"; }
  std::filesystem::path lock_file() const { return root_ / ".lock"; }

  std::filesystem::path root_;
};

}  // namespace trainer
