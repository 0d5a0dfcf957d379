// Everything `trainer train` was asked to do, after validation (cli/parse_train.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "backend/backend.h"
#include "data/fetch.h"
#include "model/autoencoder.h"
#include "model/layout.h"

namespace trainer {

enum class LogFormat { text, json };

struct TrainConfig {
  int epochs = 2;  // total target
  std::string model_dir = "model";
  std::optional<std::string> data_dir;
  std::string dataset = "mnist";
  FetchOptions fetch;
  int batch_size = 256;
  ModelShape shape;
  AdamConfig adam;
  std::uint64_t seed = 42;
  DeviceKind device = DeviceKind::automatic;
  int threads = 0;  // 0: every usable core
  bool shuffle = true;
  std::optional<int> limit;  // train on the first N images (and test on the first min(N, 10000))
  bool fresh = false;        // ignore (and, once a new one is written, remove) old checkpoints
  int keep_checkpoints = 3;
  int checkpoint_every = 0;  // steps; 0: at the end of each epoch only
  LogFormat log_format = LogFormat::text;
  bool quiet = false;
  std::optional<double> progress_interval;  // seconds; else the format's default
};

}  // namespace trainer
