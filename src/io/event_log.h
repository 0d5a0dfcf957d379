// A training run's TensorBoard log (README "TensorBoard"): one event file per process in the
// model directory's logs/, TensorBoard's convention of one file per writer. Steps are global, so a
// resumed run continues its curves. Events wait in memory until commit(), which the run calls once
// the state they describe is saved (a checkpoint, an epoch's outputs): the log never runs ahead of
// what a resumed run starts from, and a run that fails before saving anything leaves no file.
// A resumed run starts a new file and still skips every (tag, step) an earlier file of ours holds
// (a resume from an older checkpoint, when the newest is damaged, trains those steps again).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace trainer {

constexpr std::uint64_t kMaxEventFileBytes = std::uint64_t(1) << 30;

class EventLog {
 public:
  // Disabled (--no-tensorboard): every call does nothing.
  EventLog() = default;
  // Reads the event files of earlier runs in `dir` unless `fresh`; creates nothing until the
  // first event. Throws RuntimeFailure naming a file it cannot read.
  EventLog(std::filesystem::path dir, bool fresh);
  ~EventLog();
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  // Each queues one event, unless an earlier file holds its (tag, step).
  void scalar(std::int64_t step, const std::string& tag, double value);
  void gray_image(std::int64_t step, const std::string& tag, int height, int width,
                  std::string_view png);
  void text(std::int64_t step, const std::string& tag, const std::string& markdown);
  // Appends the queued events to this process's file (created at the first commit); a failed
  // write is cut back off, leaving the file as it was. A run that started over (`fresh`) removes
  // the earlier runs' files at its first commit, as their checkpoints go at its first checkpoint.
  // Throws RuntimeFailure naming the file when it cannot be written.
  void commit();

  // The file this process writes (empty until its first event).
  const std::filesystem::path& file() const { return file_; }

 private:
  bool is_new(const std::string& tag, std::int64_t step) const;
  void queue(const std::string& tag, std::int64_t step, const std::string& event);

  bool enabled_ = false, fresh_ = false;
  std::filesystem::path dir_, file_;
  int fd_ = -1;
  std::string queued_;                          // framed records not yet written
  std::map<std::string, std::int64_t> logged_;  // tag -> the highest step earlier files hold
  std::vector<std::filesystem::path> earlier_;
};

// Whether `name` is an event file this program writes: events.out.tfevents.<seconds, 10
// digits>.<microseconds, 6 digits>.<host>.<pid>.trainer (name order is time order).
bool is_our_event_file(const std::string& name);

}  // namespace trainer
