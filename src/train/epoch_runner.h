// The one epoch loop, shared by training and `trainer bench`: an epoch's steps issued to the
// backend in segments, with a pause between segments where the caller may report progress, write
// a checkpoint or stop for a signal. Segment boundaries sit at multiples of the backend's
// recording length within the epoch (so a device that records segments sees the same segments
// every epoch) and at every checkpoint step.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "backend/backend.h"
#include "model/autoencoder.h"

namespace trainer {

struct SegmentPlan {
  int steps_per_epoch = 1;
  int checkpoint_every = 0;     // global steps between checkpoints; 0: only at epoch ends
  int steps_per_recording = 1;  // Backend::steps_per_recording()
};

// The in-epoch step index (exclusive) where the segment beginning at in-epoch step `begin` ends,
// for an epoch whose first step is global step `epoch_first_step` (0-based count of steps done).
int segment_end(const SegmentPlan& plan, std::int64_t epoch_first_step, int begin);

// Whether a checkpoint is due once `steps_done` steps have been taken.
bool checkpoint_due(const SegmentPlan& plan, std::int64_t steps_done);

// How an epoch visits its images: `batch` at a time in the order epoch_order(seed, epoch, ...)
// gives, each step with the Adam step size of its global step.
struct EpochSettings {
  int batch = 256;
  std::uint64_t seed = 42;
  bool shuffle = true;
  AdamConfig adam;
  int checkpoint_every = 0;
};

class EpochRunner {
 public:
  // Allocates the epoch's inputs in backend memory at fixed addresses (the image order, each
  // step's Adam step size and each step's loss), so that a segment is the same sequence of ops in
  // every epoch and a device may record it once.
  EpochRunner(Backend& backend, Autoencoder& model, const DeviceImages& images,
              const EpochSettings& settings);

  const SegmentPlan& plan() const { return plan_; }
  int steps_per_epoch() const { return plan_.steps_per_epoch; }

  // Runs epoch `epoch` (0-based) from its in-epoch step `first`, `sse` being what the steps
  // before `first` added to its loss. Calls `pause(steps_done)` at each segment boundary inside
  // the epoch. Returns the epoch's sum of squared errors: the batch losses added in step order.
  double run_epoch(int epoch, int first, double sse, const std::function<void(int)>& pause);

  // During a pause: the sum of squared errors of the epoch's steps so far, in step order (the
  // losses are read from the device only when asked for, so a GPU is not synchronised per step).
  double epoch_sse();
  // After epoch_sse(): the first in-epoch step whose batch loss is not finite, or -1.
  int first_non_finite_step() const;

 private:
  Backend& backend_;
  Autoencoder& model_;
  DeviceImages images_;
  EpochSettings settings_;
  SegmentPlan plan_;
  std::uint32_t* order_;
  float* step_sizes_;
  float* batch_sse_;
  std::vector<float> host_step_sizes_, host_sse_;
  int steps_done_ = 0, steps_summed_ = 0;  // in this epoch; host_sse_[summed..done) not yet in sse_
  double sse_ = 0;
};

}  // namespace trainer
