// `trainer [train] [flags]`: train the autoencoder into --model-dir (train/train_loop.cpp).
#include "commands/commands.h"

#include <algorithm>

#include "cli/flag_values.h"
#include "cli/grid.h"
#include "data/catalog.h"
#include "train/train_loop.h"
#include "util/errors.h"
#include "util/system_info.h"

namespace trainer {
namespace {

cxxopts::Options train_options() {
  cxxopts::Options options = command_options(
      "trainer", "Train the MNIST dense autoencoder (784-128-128-128-784).", "[train] [flags]");
  auto text = [] { return cxxopts::value<std::string>(); };
  // Values are taken as text and checked by cli/flag_values.cpp, whose errors name the flag.
  auto add = options.add_options();
  add("epochs", "Total number of epochs to train (1..1000000)", text()->default_value("2"));
  add("model-dir", "Where the model, metrics and pictures go", text()->default_value("model"));
  add("dataset", "mnist|fashion-mnist (fetched into the data dir on first use)",
      text()->default_value("mnist"));
  add("batch-size", "Images per step; the last partial batch is kept (1..60000)",
      text()->default_value("256"));
  add("learning-rate", "Adam learning rate (0..10]", text()->default_value("0.01"));
  add("hidden", "Width of the two hidden layers (1..4096)", text()->default_value("128"));
  add("code", "Width of the code layer (1..4096)", text()->default_value("128"));
  add("output-activation", "relu|sigmoid", text()->default_value("relu"));
  add("seed", "Seeds initialisation and shuffling (0..2^64-1)", text()->default_value("42"));
  add("no-shuffle", "Visit images in file order every epoch");
  add("limit", "Train on the first N images and test on the first min(N, 10000) (1..60000)",
      text());
  add("fresh",
      "Start over instead of resuming from <model-dir>/checkpoints (old checkpoints are "
      "removed once the new run has written one)");
  add("checkpoint-every",
      "Also write a checkpoint every N steps inside epochs (1..1000000000; default: only at the "
      "end of each epoch)",
      text());
  add("keep-checkpoints", "How many of the newest checkpoints to keep (1..1000)",
      text()->default_value("3"));
  add("no-tensorboard", "Write no TensorBoard event files to <model-dir>/logs");
  add("grid",
      "FLAG=V1,V2,...: one run of a sweep over these values (repeatable; every combination; "
      "run i trains into <model-dir>/run-<i>; README \"Sweeps\")",
      text());
  add("grid-index",
      "Which run of the --grid (0-based; default: $JOB_COMPLETION_INDEX, $SLURM_ARRAY_TASK_ID, "
      "$AWS_BATCH_JOB_ARRAY_INDEX)",
      text());
  add("lease-seconds",
      "A model dir in a bucket: how long its lease outlives a killed trainer (2..3600; README "
      "\"Object storage\")",
      text()->default_value("30"));
  add("tensorboard-every",
      "Log the running loss and Adam's step size to TensorBoard every N steps (0..1000000000; "
      "0: per epoch only)",
      text()->default_value("20"));
  add_report_flags(options);
  options.add_options()("h,help", "Show this help")("version",
                                                    "Print version and build information");
  add_backend_flags(options);
  add_data_flags(options);
  return options;
}

}  // namespace

namespace {

std::variant<TrainConfig, ShowHelp, ShowVersion> parse_plain_train_args(
    const std::vector<std::string>& args) {
  cxxopts::Options options = train_options();
  const cxxopts::ParseResult result = parse_flags(options, "trainer", args);
  if (result["help"].as<bool>()) {
    return ShowHelp{options.help(),
                    "  TRAINER_SIMD=sse2|avx2|avx512   force the CPU kernels' instruction set\n" +
                        std::string(kDataEnvironmentHelp)};
  }
  if (result["version"].as<bool>()) return ShowVersion{};

  auto value = [&](const char* flag) { return result[flag].as<std::string>(); };
  TrainConfig config;
  config.epochs = int(parse_integer_flag("epochs", value("epochs"), 1, 1000000));
  config.model_dir = parse_model_dir_flag(value("model-dir"));
  config.data = parse_data_flags(result);
  config.dataset = parse_choice_flag("dataset", value("dataset"), dataset_names());
  config.batch_size = int(parse_integer_flag("batch-size", value("batch-size"), 1, 60000));
  config.adam.learning_rate = parse_positive_flag("learning-rate", value("learning-rate"), 10.0);
  config.shape.hidden = int(parse_integer_flag("hidden", value("hidden"), 1, 4096));
  config.shape.code = int(parse_integer_flag("code", value("code"), 1, 4096));
  config.shape.output_activation =
      parse_choice_flag("output-activation", value("output-activation"), {"relu", "sigmoid"}) ==
              "relu"
          ? Activation::relu
          : Activation::sigmoid;
  config.seed = parse_unsigned_flag("seed", value("seed"));
  config.backend = parse_backend_flags(result);
  config.shuffle = !result["no-shuffle"].as<bool>();
  config.fresh = result["fresh"].as<bool>();
  config.keep_checkpoints =
      int(parse_integer_flag("keep-checkpoints", value("keep-checkpoints"), 1, 1000));
  if (result.count("checkpoint-every"))
    config.checkpoint_every =
        int(parse_integer_flag("checkpoint-every", value("checkpoint-every"), 1, 1000000000));
  config.lease_seconds = int(parse_integer_flag("lease-seconds", value("lease-seconds"), 2, 3600));
  config.tensorboard = !result["no-tensorboard"].as<bool>();
  config.tensorboard_every =
      int(parse_integer_flag("tensorboard-every", value("tensorboard-every"), 0, 1000000000));
  if (result.count("limit"))
    config.limit = int(parse_integer_flag("limit", value("limit"), 1, 60000));
  config.report = parse_report_flags(result);
  return config;
}

}  // namespace

std::variant<TrainConfig, ShowHelp, ShowVersion> parse_train_args(
    const std::vector<std::string>& args) {
  const GridArgs grid = take_grid_args(args);
  const bool shows_something = std::any_of(args.begin(), args.end(), [](const std::string& a) {
    return a == "--help" || a == "-h" || a == "--version";
  });
  if (grid.grid.axes.empty() || shows_something) {
    auto parsed = parse_plain_train_args(args);
    if (auto* help = std::get_if<ShowHelp>(&parsed)) help->environment += kGridEnvironmentHelp;
    return parsed;
  }
  // One run of a sweep: its flags added to the others, its own directory under --model-dir.
  const GridIndex which = grid_index(grid, environment_value);
  auto parsed = parse_plain_train_args(grid_member_args(grid, which.index));
  if (auto* config = std::get_if<TrainConfig>(&parsed))
    config->grid = GridMembership{which.index, grid.grid.size(), grid.grid.member(which.index)};
  return parsed;
}

void run_train(const TrainConfig& config, std::ostream& out) {
  run_training(config, out);
}

}  // namespace trainer
