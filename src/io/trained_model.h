// The servable model a training run leaves after each epoch: model.safetensors (the weights) and
// config.json (what they are and how they were trained), plus the per-epoch metrics records. The
// training loop describes its run with a RunRecord; this layer never sees the command line.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model/autoencoder.h"
#include "model/layout.h"

namespace trainer {

constexpr int kSavedModelFormatVersion = 1;
constexpr std::uint64_t kMaxConfigJsonBytes = std::uint64_t(1) << 20;

// One line of metrics.jsonl, and the history a checkpoint carries.
struct EpochMetrics {
  int epoch = 0;
  std::int64_t step = 0;
  double train_loss = 0, test_loss = 0, seconds = 0, images_per_second = 0;
};

// A run of a sweep's grid (cli/grid.h): which one, of how many, and the flags it varied.
struct GridMembership {
  std::size_t index = 0, size = 0;
  std::vector<std::pair<std::string, std::string>> flags;  // ("--learning-rate", "0.003"), ...
};

// What config.json records about the run besides the architecture and the last epoch.
struct RunRecord {
  std::string dataset;
  std::uint64_t seed = 42;
  int batch_size = 256;
  bool shuffle = true;
  std::optional<int> limit;
  AdamConfig adam;
  std::optional<GridMembership> grid;
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
  double train_loss = 0, test_loss = 0;  // after the last epoch
  std::optional<GridMembership> grid;
  // The SHA-256 of the model.safetensors this config.json was written with ("" before it was
  // recorded): a reader that sees the two files from different epochs of a running trainer
  // notices and reads again.
  std::string weights_sha256;
};

std::string config_json(const ModelLayout& layout, const RunRecord& run, const EpochMetrics& last,
                        const std::string& weights_sha256);
// Reads config.json text; throws RuntimeFailure naming `name` when a field is missing or invalid,
// or the format version is newer than this trainer reads.
TrainedModelSpec parse_config_json(const std::string& text, const std::string& name);
std::string metrics_json_line(const EpochMetrics& metrics);
// metrics.jsonl's lines; throws RuntimeFailure naming `name` and the line that is not one.
std::vector<EpochMetrics> parse_metrics_jsonl(const std::string& text, const std::string& name);

struct SavedModel {
  std::filesystem::path file;  // model.safetensors
  TrainedModelSpec spec;       // from config.json; spec.shape.input from the file
  std::vector<float> params;   // the parameter block, layout order
};

// Reads and checks both files (ModelDir::load_saved_model names them). Throws RuntimeFailure
// naming the file and the cause; `missing_hint` is appended when a file is missing.
SavedModel read_saved_model(const std::filesystem::path& config_file,
                            const std::filesystem::path& weights_file,
                            const std::string& missing_hint);

}  // namespace trainer
