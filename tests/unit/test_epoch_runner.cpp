// Where the loop pauses inside an epoch: at recording boundaries aligned to the epoch and at
// every checkpoint step, never past the epoch's end.
#include <catch2/catch.hpp>

#include <vector>

#include "train/epoch_runner.h"

using namespace trainer;

namespace {
// Every segment end of one epoch, walking it as the training loop does.
std::vector<int> segment_ends(const SegmentPlan& plan, std::int64_t epoch_first_step,
                              int begin = 0) {
  std::vector<int> ends;
  while (begin < plan.steps_per_epoch) {
    begin = segment_end(plan, epoch_first_step, begin);
    ends.push_back(begin);
  }
  return ends;
}
}  // namespace

TEST_CASE("without checkpoints, segments are recording-sized and aligned to the epoch", "[plan]") {
  SegmentPlan s{10, 0, 4};
  CHECK(segment_ends(s, 0) == std::vector<int>{4, 8, 10});
  CHECK(segment_ends(s, 30) == std::vector<int>{4, 8, 10});
  CHECK(segment_ends(s, 30, 5) == std::vector<int>{8, 10});  // resumed mid-recording
  CHECK(segment_ends(SegmentPlan{3, 0, 1}, 0) == std::vector<int>{1, 2, 3});
  CHECK(!checkpoint_due(s, 10));
}

TEST_CASE("checkpoint steps count globally and split segments", "[plan]") {
  SegmentPlan s{10, 7, 4};
  CHECK(segment_ends(s, 0) == std::vector<int>{4, 7, 8, 10});
  CHECK(segment_ends(s, 10) == std::vector<int>{4, 8, 10});  // global step 14 = in-epoch 4
  CHECK(segment_ends(s, 20) == std::vector<int>{1, 4, 8, 10});
  CHECK(checkpoint_due(s, 7));
  CHECK(checkpoint_due(s, 21));
  CHECK(!checkpoint_due(s, 20));
  SegmentPlan every_step{5, 1, 16};
  CHECK(segment_ends(every_step, 0) == std::vector<int>{1, 2, 3, 4, 5});
}
