// Checkpoints: everything a run needs to continue bit for bit, in one self-checking file.
//
// Format version 1 (little-endian):
//   8 bytes  magic "TRNRCKPT"
//   u32      format version
//   u32      header length H
//   H bytes  header, JSON: step, epoch, cursor, epoch_sse, epoch_seconds, fingerprint, history,
//            state_floats, trainer_version (epoch_sse and epoch_seconds may be absent: 0)
//   4*N      float32 state: parameters | Adam m | Adam v (model/layout.h), N = state_floats
//   32 bytes SHA-256 of every byte before it
// The state is the host copy of the backend's arena, so a checkpoint from one backend resumes on
// any other. Readers must keep accepting every older version (README "Compatibility").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "io/trained_model.h"
#include "util/errors.h"

namespace trainer {

constexpr std::uint32_t kCheckpointFormatVersion = 1;
// The largest checkpoint a valid run writes: the state of the widest model (--hidden and --code
// 4096: 40 million parameters, with Adam's m and v 480 MB) and a history of a million epochs.
constexpr std::uint64_t kMaxCheckpointBytes = std::uint64_t(1) << 30;

struct Checkpoint {
  std::int64_t step = 0;    // Adam steps taken
  int epoch = 0;            // epochs completed
  std::int64_t cursor = 0;  // images of epoch `epoch` already trained (0 at an epoch boundary)
  // Inside an epoch (cursor > 0): the sum of its batch losses so far, added in step order so the
  // resumed epoch reports the loss an uninterrupted one would, and the seconds it has taken.
  double epoch_sse = 0, epoch_seconds = 0;
  // What must match for a bit-for-bit continuation: (flag, value) pairs, e.g. ("--hidden", "128").
  std::vector<std::pair<std::string, std::string>> fingerprint;
  std::vector<EpochMetrics> history;
  std::vector<float> state;
  std::string trainer_version;
};

struct CheckpointError : RuntimeFailure {
  using RuntimeFailure::RuntimeFailure;
};

// A checkpoint file's bytes in three pieces: header, the state (a view of checkpoint.state, not a
// copy: the bulk of the file goes to disk from where it lies) and the SHA-256 of both.
struct CheckpointPieces {
  std::string head;
  std::string_view state;
  std::string digest;
  std::vector<std::string_view> views() const { return {head, state, digest}; }
};
CheckpointPieces checkpoint_pieces(const Checkpoint& checkpoint);
// The pieces joined: the whole file in memory.
std::string encode_checkpoint(const Checkpoint& checkpoint);
// Throws CheckpointError "<name>: <what is wrong>".
Checkpoint decode_checkpoint(const std::string& bytes, const std::string& name);

}  // namespace trainer
