#include "train/schedule.h"

#include <algorithm>

namespace trainer {

int segment_end(const StepSchedule& schedule, std::int64_t epoch_first_step, int begin) {
  const int recording = std::max(1, schedule.steps_per_recording);
  std::int64_t end = std::min<std::int64_t>(schedule.steps_per_epoch,
                                            (std::int64_t(begin) / recording + 1) * recording);
  if (schedule.checkpoint_every > 0) {
    const std::int64_t done = epoch_first_step + begin;
    const std::int64_t next_checkpoint =
        (done / schedule.checkpoint_every + 1) * schedule.checkpoint_every;
    end = std::min(end, next_checkpoint - epoch_first_step);
  }
  return int(end);
}

bool checkpoint_due(const StepSchedule& schedule, std::int64_t steps_done) {
  return schedule.checkpoint_every > 0 && steps_done % schedule.checkpoint_every == 0;
}

}  // namespace trainer
