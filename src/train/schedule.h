// Where the training loop pauses inside an epoch. The epoch's steps are issued to the backend in
// segments; between segments the loop may write a checkpoint or stop for a signal. Segment
// boundaries sit at multiples of the backend's recording length within the epoch (so a device
// that records segments sees the same segments every epoch) and at every checkpoint step.
#pragma once

#include <cstdint>

namespace trainer {

struct StepSchedule {
  int steps_per_epoch = 1;
  int checkpoint_every = 0;     // global steps between checkpoints; 0: only at epoch ends
  int steps_per_recording = 1;  // Backend::steps_per_recording()
};

// The in-epoch step index (exclusive) where the segment beginning at in-epoch step `begin` ends,
// for an epoch whose first step is global step `epoch_first_step` (0-based count of steps done).
int segment_end(const StepSchedule& schedule, std::int64_t epoch_first_step, int begin);

// Whether a checkpoint is due once `steps_done` steps have been taken.
bool checkpoint_due(const StepSchedule& schedule, std::int64_t steps_done);

}  // namespace trainer
