// Everything `trainer train` was asked to do, after validation (commands/train.cpp). The flag
// groups that other commands share are members, each declared and parsed once (cli/flag_groups).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "backend/backend.h"
#include "data/cache.h"
#include "io/trained_model.h"
#include "model/autoencoder.h"
#include "model/layout.h"
#include "report/train_reporter.h"

namespace trainer {

struct TrainConfig {
  int epochs = 2;  // total target
  std::string model_dir = "model";
  std::string dataset = "mnist";
  int batch_size = 256;
  ModelShape shape;
  AdamConfig adam;
  std::uint64_t seed = 42;
  bool shuffle = true;
  std::optional<int> limit;  // train on the first N images (and test on the first min(N, 10000))
  bool fresh = false;        // ignore (and, once a new one is written, remove) old checkpoints
  int keep_checkpoints = 3;
  int checkpoint_every = 0;    // steps; 0: at the end of each epoch only
  bool tensorboard = true;     // event files in <model-dir>/logs/
  int tensorboard_every = 20;  // steps between progress scalars; 0: per epoch only
  DataSource data;
  BackendRequest backend;
  ReportOptions report;
  std::optional<GridMembership> grid;  // a run of a sweep (--grid), recorded in config.json
  int lease_seconds = 30;              // a model directory in a bucket: the lease's TTL
};

}  // namespace trainer
