#include "train/epoch_runner.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "model/rng.h"

namespace trainer {

int segment_end(const SegmentPlan& plan, std::int64_t epoch_first_step, int begin) {
  const int recording = std::max(1, plan.steps_per_recording);
  std::int64_t end = std::min<std::int64_t>(plan.steps_per_epoch,
                                            (std::int64_t(begin) / recording + 1) * recording);
  if (plan.checkpoint_every > 0) {
    const std::int64_t done = epoch_first_step + begin;
    const std::int64_t next_checkpoint = (done / plan.checkpoint_every + 1) * plan.checkpoint_every;
    end = std::min(end, next_checkpoint - epoch_first_step);
  }
  return int(end);
}

bool checkpoint_due(const SegmentPlan& plan, std::int64_t steps_done) {
  return plan.checkpoint_every > 0 && steps_done % plan.checkpoint_every == 0;
}

EpochRunner::EpochRunner(Backend& backend, Autoencoder& model, const DeviceImages& images,
                         const EpochSettings& settings)
    : backend_(backend), model_(model), images_(images), settings_(settings) {
  settings_.batch = std::min(settings.batch, images.count);
  plan_.steps_per_epoch = (images.count + settings_.batch - 1) / settings_.batch;
  plan_.checkpoint_every = settings.checkpoint_every;
  plan_.steps_per_recording = backend.steps_per_recording();
  const std::size_t steps = std::size_t(plan_.steps_per_epoch);
  order_ = backend.allocate_array<std::uint32_t>(std::size_t(images.count));
  batch_sse_ = backend.allocate_array<float>(steps);
  step_sizes_ = backend.allocate_array<float>(steps);
  host_sse_.resize(steps);
  host_step_sizes_.resize(steps);
}

double EpochRunner::run_epoch(int epoch, int first, double sse,
                              const std::function<void(int)>& pause) {
  const int steps = plan_.steps_per_epoch, batch = settings_.batch;
  const std::int64_t epoch_first_step = std::int64_t(epoch) * steps;
  const std::vector<std::uint32_t> host_order =
      epoch_order(settings_.seed, std::uint64_t(epoch), images_.count, settings_.shuffle);
  for (int k = 0; k < steps; ++k)
    host_step_sizes_[std::size_t(k)] = adam_step_size(settings_.adam, epoch_first_step + 1 + k);
  backend_.upload(order_, host_order.data(), host_order.size() * sizeof(std::uint32_t));
  backend_.upload(step_sizes_, host_step_sizes_.data(), host_step_sizes_.size() * sizeof(float));
  steps_done_ = steps_summed_ = first;
  sse_ = sse;
  while (steps_done_ < steps) {
    const int begin = steps_done_, end = segment_end(plan_, epoch_first_step, begin);
    backend_.run_recorded("steps " + std::to_string(begin) + ".." + std::to_string(end), [&] {
      for (int k = begin; k < end; ++k) {
        const int image = k * batch;
        model_.train_step(images_, order_ + image, std::min(batch, images_.count - image),
                          step_sizes_ + k, batch_sse_ + k);
      }
    });
    steps_done_ = end;
    if (steps_done_ < steps && pause) pause(steps_done_);
  }
  return epoch_sse();
}

double EpochRunner::epoch_sse() {
  const int from = steps_summed_;
  backend_.download(host_sse_.data() + from, batch_sse_ + from,
                    std::size_t(steps_done_ - from) * sizeof(float));
  for (; steps_summed_ < steps_done_; ++steps_summed_)
    sse_ += double(host_sse_[std::size_t(steps_summed_)]);
  return sse_;
}

int EpochRunner::first_non_finite_step() const {
  for (int k = 0; k < steps_summed_; ++k)
    if (!std::isfinite(host_sse_[std::size_t(k)])) return k;
  return -1;
}

}  // namespace trainer
