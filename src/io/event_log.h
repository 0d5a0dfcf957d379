// A training run's TensorBoard log (README "TensorBoard"): one event file per process in the
// model directory's logs/, TensorBoard's convention of one file per writer. Steps are global, so a
// resumed run continues its curves in a new file.
//
// Events wait in memory until commit(), which the run calls just before each checkpoint: the
// log never runs behind the checkpoints (a kill after a checkpoint loses no event of the steps it
// covers), and if the checkpoint then fails, undo_commit() takes the events back out, so that a
// failed run leaves the log as it found it. A kill between the two leaves events of steps that the
// resumed run trains again: it skips every (tag, step) an earlier file of the same run holds (the
// values are the same, as training is deterministic), so each point appears once.
//
// Files are named after the run (its fingerprint): a file of another run in logs/ is what a run
// that this one replaced left behind, as is every earlier file when this run starts over (--fresh,
// or no checkpoint to continue). Those are removed once this run's first checkpoint is saved, as
// --fresh removes checkpoints; they are never used to skip events.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace trainer {

class EventLog {
 public:
  // Nothing at all: no directory is read or written.
  EventLog() = default;
  // `run_id`: 8 lowercase hex digits naming the run's trajectory. `enabled` false
  // (--no-tensorboard): nothing is logged, but the files of replaced runs still go. Reads the
  // earlier files of the same run (unless `starts_over`); creates nothing until the first commit.
  // Throws RuntimeFailure naming logs/ or a file it cannot read.
  EventLog(std::filesystem::path dir, std::string run_id, bool starts_over, bool enabled);
  ~EventLog();
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  // Each queues one event, unless an earlier file of this run holds its (tag, step).
  void scalar(std::int64_t step, const std::string& tag, double value);
  void gray_image(std::int64_t step, const std::string& tag, int height, int width,
                  std::string_view png);
  void text(std::int64_t step, const std::string& tag, const std::string& markdown);

  // Appends the queued events to this process's file (created at the first commit that has
  // any), in one write; one that fails is cut back off. Throws RuntimeFailure naming the file.
  void commit();
  // The checkpoint after commit() failed: the file as it was before that commit.
  void undo_commit();
  // The run's checkpoint is saved: the files of replaced runs go (the first time). Throws
  // RuntimeFailure naming a file that cannot be removed.
  void checkpoint_saved();

  // The file this process writes (empty until its first commit with events).
  const std::filesystem::path& file() const { return file_; }

 private:
  bool is_new(const std::string& tag, std::int64_t step) const;
  void queue(const std::string& tag, std::int64_t step, const std::string& event);
  void read_earlier(const std::filesystem::path& file);

  bool enabled_ = false;
  std::filesystem::path dir_, file_;
  std::string run_id_;
  int fd_ = -1;
  std::string queued_;  // framed records not yet written
  // The file's size before the last commit, or what undo_commit() has to do instead.
  static constexpr std::int64_t kNothingToUndo = -2, kMadeTheFile = -1;
  std::int64_t size_before_ = kNothingToUndo;
  std::map<std::string, std::int64_t> logged_;   // tag -> the highest step logged so far
  std::vector<std::filesystem::path> replaced_;  // files of runs this one replaced
};

// The run id of an event file this program writes, or nullopt for any other name:
// events.out.tfevents.<seconds, 10 digits>.<microseconds, 6 digits>.<host>.<pid>.<run id>.trainer
// (name order is time order).
std::optional<std::string> event_file_run_id(const std::string& name);

}  // namespace trainer
