// A model directory (TF model_dir semantics; README "Model directory"). This class owns its whole
// layout: no other file spells these names.
//   weights/model.safetensors, weights/config.json   the trained model, after each epoch
//   saved_model/<epoch>/saved_model.pb, variables/   the same as a TensorFlow SavedModel in TF
//                                                    Serving's layout, the newest version only
//   checkpoints/ckpt-<step, 10 digits>.ckpt          to resume; the newest `keep` of them
//   logs/events.out.tfevents.*.trainer               TensorBoard, one file per run (event_log.h)
//   metrics.jsonl, loss.svg, reconstructions.png     for scripts and people, each epoch
//   model.onnx                                       where `trainer export` writes ONNX
//   .lock                                            held by the one trainer using it
//   .<name>.tmp.<pid>.<tag>                          atomic writes in progress (util/)
// Layout 1 (trainer 0.1.0) kept the weights in saved_model/model.safetensors and
// saved_model/config.json, where a SavedModel reader looks: they are read when weights/ has none,
// and a run that writes weights/ removes them.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "io/checkpoint.h"
#include "io/trained_model.h"
#include "model/layout.h"
#include "util/file_lock.h"

namespace trainer {

class ModelDir {
 public:
  // Names a directory; nothing is read or made until a method is called.
  explicit ModelDir(std::filesystem::path root) : root_(std::move(root)) {}
  const std::filesystem::path& root() const { return root_; }
  // Whether `relative` ("checkpoints/ckpt-0000000469.ckpt", "saved_model/3/variables/") is one of
  // the names above: what a copy of the directory in a bucket holds (io/bucket_sync.h); the lock
  // and temporaries are not.
  static bool is_layout_path(const std::string& relative);
  // The trained model alone (weights/): what eval, reconstruct and export read.
  static bool is_weights_path(const std::string& relative) {
    return relative.rfind("weights/", 0) == 0 && is_layout_path(relative);
  }
  static bool is_checkpoint_path(const std::string& relative) {
    return relative.rfind("checkpoints/", 0) == 0 && is_layout_path(relative);
  }

  std::filesystem::path weights_file() const { return weights_dir() / "model.safetensors"; }
  std::filesystem::path config_file() const { return weights_dir() / "config.json"; }
  // TF Serving's base path: one numbered directory per version.
  std::filesystem::path serving_base_dir() const { return root_ / "saved_model"; }
  std::filesystem::path logs_dir() const { return root_ / "logs"; }
  std::filesystem::path checkpoints_dir() const { return root_ / "checkpoints"; }
  std::filesystem::path checkpoint_file(std::int64_t step) const;
  std::filesystem::path metrics_file() const { return root_ / "metrics.jsonl"; }
  std::filesystem::path loss_curve_file() const { return root_ / "loss.svg"; }
  std::filesystem::path reconstructions_file() const { return root_ / "reconstructions.png"; }
  std::filesystem::path onnx_file() const { return root_ / "model.onnx"; }

  // Before any work: RuntimeFailure naming the first of weights/, saved_model/ (and its version
  // directories), checkpoints/ and logs/ that exists and is not a directory, or of the files a
  // run writes (the weights, metrics, pictures, the checkpoints there) that exists and is not a
  // regular file: a run must not find out after it has replaced half of them.
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

  // Each replaced atomically. The weights and config.json (removing layout 1's copies);
  // saved_model/<version>/ (removing the other versions: TF Serving serves the highest);
  // metrics.jsonl; the loss curve and the reconstruction grid's PNG bytes.
  void write_weights(const ModelLayout& layout, const float* params, const RunRecord& run,
                     const EpochMetrics& last) const;
  std::filesystem::path write_serving_model(const ModelLayout& layout, const float* params,
                                            int version) const;
  void write_metrics(const std::vector<EpochMetrics>& epochs) const;
  void write_pictures(const std::string& loss_svg, const std::string& reconstructions_png) const;

  // weights/ (or layout 1's saved_model/ when weights/ holds neither file). Throws RuntimeFailure
  // naming the file; `missing_hint` follows "does not exist".
  SavedModel load_saved_model(const std::string& missing_hint) const;
  // Whether a trained model's config.json is there (weights/, or layout 1's saved_model/).
  bool is_trained() const;
  // config.json alone (the same two places), and metrics.jsonl (empty when absent).
  TrainedModelSpec load_spec(const std::string& missing_hint) const;
  std::vector<EpochMetrics> load_metrics() const;

 private:
  std::filesystem::path weights_dir() const { return root_ / "weights"; }
  std::filesystem::path lock_file() const { return root_ / ".lock"; }
  std::filesystem::path layout1_weights_file() const {
    return serving_base_dir() / "model.safetensors";
  }
  std::filesystem::path layout1_config_file() const { return serving_base_dir() / "config.json"; }
  bool is_layout1() const;
  // The numbered entries of saved_model/ (TF Serving's versions), in no order.
  std::vector<std::filesystem::path> serving_versions() const;

  std::filesystem::path root_;
};

}  // namespace trainer
