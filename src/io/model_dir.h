// What a training run leaves in --model-dir (README "Model directory"):
//   saved_model/model.safetensors, saved_model/config.json, metrics.jsonl
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "io/png.h"
#include "model/layout.h"
#include "train/train_config.h"

namespace trainer {

constexpr int kSavedModelFormatVersion = 1;

struct EpochMetrics {
  int epoch = 0;
  std::int64_t step = 0;
  double train_loss = 0, test_loss = 0, seconds = 0, images_per_second = 0;
};

class ModelDir {
 public:
  // Creates the directories; throws RuntimeFailure naming the path that cannot be made.
  explicit ModelDir(const std::filesystem::path& root);
  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path saved_model_file() const {
    return root_ / "saved_model" / "model.safetensors";
  }

  void write_saved_model(const ModelLayout& layout, const float* params, const TrainConfig& config,
                         const std::string& dataset, const EpochMetrics& last) const;
  void write_metrics(const std::vector<EpochMetrics>& epochs) const;
  // loss.svg and reconstructions.png, each replaced atomically.
  void write_pictures(const std::string& loss_svg, const GrayImage& reconstructions) const;
  std::filesystem::path loss_curve_file() const { return root_ / "loss.svg"; }
  std::filesystem::path reconstructions_file() const { return root_ / "reconstructions.png"; }

 private:
  std::filesystem::path root_;
};

// What evaluating a trained model needs to know besides its weights: its data and its shape.
// Batch size and limit decide how the test loss is batched and over which images, so that
// `trainer eval` reproduces the test loss the training run reported.
struct TrainedModelSpec {
  std::string dataset;
  ModelShape shape;  // shape.input from the file
  int batch_size = 256;
  std::optional<int> limit;
  int epochs = 0;
};

// Reads saved_model/config.json text; throws RuntimeFailure naming `name` when a field is
// missing or invalid, or the format version is newer than this trainer reads.
TrainedModelSpec parse_config_json(const std::string& text, const std::string& name);

std::string config_json(const ModelLayout& layout, const TrainConfig& config,
                        const std::string& dataset, const EpochMetrics& last);
std::string metrics_json_line(const EpochMetrics& metrics);

}  // namespace trainer
