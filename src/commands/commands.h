// The nine commands, one file each in this folder: its flags, its config and its run. main.cpp
// lists them once, in its command table. Every parser throws UsageError (one line naming the flag);
// every runner throws UsageError or RuntimeFailure and writes its results to `out`.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <variant>
#include <vector>

#include "backend/backend.h"
#include "cli/flag_groups.h"
#include "cli/grid.h"
#include "data/cache.h"
#include "train/train_config.h"

namespace trainer {

// train.cpp: `trainer [train] [flags]`, the default command.
std::variant<TrainConfig, ShowHelp, ShowVersion> parse_train_args(
    const std::vector<std::string>& args);
void run_train(const TrainConfig& config, std::ostream& out);

// eval.cpp: the test-set loss of a saved model or of one checkpoint, computed exactly as the
// training run computed its test loss (same images, same batches), so the two numbers agree.
struct EvalConfig {
  std::string model_dir = "model";
  std::optional<std::string> checkpoint;  // else the saved model
  std::optional<std::string> dataset;     // else the one the model was trained on
  DataSource data;
  BackendRequest backend;
};
std::variant<EvalConfig, ShowHelp> parse_eval_args(const std::vector<std::string>& args);
void run_eval(const EvalConfig& config, std::ostream& out);

// reconstruct.cpp: a saved model on the first test images, written as the originals-over-
// reconstructions grid (PNG) or as its raw outputs (NumPy .npy) for scripts and interop tests.
struct ReconstructConfig {
  std::string model_dir = "model";
  int count = 10;                           // the first `count` test images
  std::string out = "reconstructions.png";  // .png: the 2 x count grid; .npy: [count, input]
  DataSource data;
  BackendRequest backend;
};
std::variant<ReconstructConfig, ShowHelp> parse_reconstruct_args(
    const std::vector<std::string>& args);
void run_reconstruct(const ReconstructConfig& config, std::ostream& out);

// export.cpp: the saved model in a format other tools load (ONNX).
struct ExportConfig {
  std::string model_dir = "model";
  std::string format = "onnx";
  std::optional<std::string> out;      // else ModelDir::onnx_file() or serving_base_dir()
  std::optional<int> serving_version;  // savedmodel: else the epochs trained
};
std::variant<ExportConfig, ShowHelp> parse_export_args(const std::vector<std::string>& args);
void run_export(const ExportConfig& config, std::ostream& out);

// grid.cpp: a sweep's size and runs (README "Sweeps"), each checked as its training run would
// check its flags, so that a bad value fails here rather than in run 17 of a cluster job.
struct GridConfig {
  GridArgs args;
};
std::variant<GridConfig, ShowHelp> parse_grid_args(const std::vector<std::string>& args);
void run_grid(const GridConfig& config, std::ostream& out);

// gather.cpp: the trained runs under a sweep's --model-dir, best test loss first, and one
// picture of every run's test loss per epoch.
struct GatherConfig {
  std::string model_dir = "model";
  std::optional<std::string> out;  // else <model-dir>/sweep.svg
};
std::variant<GatherConfig, ShowHelp> parse_gather_args(const std::vector<std::string>& args);
void run_gather(const GatherConfig& config, std::ostream& out);

// download.cpp: fill the cache with verified datasets, and say where they are.
struct DownloadConfig {
  std::vector<std::string> datasets;
  DataSource data;
};
std::variant<DownloadConfig, ShowHelp> parse_download_args(const std::vector<std::string>& args);
void run_download(const DownloadConfig& config, std::ostream& out);

// info.cpp: what this binary is and what it would use on this machine (version and build, CPU
// and SIMD arch, threads, CUDA driver and devices or why none, the data dir and its datasets), for
// bug reports and for checking a machine before a long run.
struct InfoConfig {
  std::optional<std::string> data_dir;
};
std::variant<InfoConfig, ShowHelp> parse_info_args(const std::vector<std::string>& args);
void run_info(const InfoConfig& config, std::ostream& out);

// bench.cpp: the built-in benchmark users run on their own machines. Synthetic data, no
// download: the hardware, the measured multiply-add peak, each kernel of one training step with
// its GFLOP/s against that peak, and seconds per epoch of the seed model; --json for scripts.
struct BenchConfig {
  BackendRequest backend;
  int batch_size = 256;
  int images = 60000;
  int epochs = 3;
  bool json = false;
};
std::variant<BenchConfig, ShowHelp> parse_bench_args(const std::vector<std::string>& args);
void run_bench(const BenchConfig& config, std::ostream& out);

}  // namespace trainer
