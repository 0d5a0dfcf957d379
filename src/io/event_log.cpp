#include "io/event_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <regex>

#include "io/event_file.h"
#include "io/tfrecord.h"
#include "util/atomic_file.h"
#include "util/errors.h"

namespace trainer {
namespace {

const char* const kNoLogsHint = " (--no-tensorboard writes no logs)";

double wall_time_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// The host name as file names may hold it.
std::string host_for_file_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || !name[0]) return "localhost";
  std::string host;
  for (const char* c = name; *c && host.size() < 64; ++c) {
    const bool plain = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                       (*c >= '0' && *c <= '9') || *c == '-' || *c == '.';
    host.push_back(plain ? *c : '_');
  }
  return host;
}

std::string new_file_name(const std::string& run_id) {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const long long micros = std::chrono::duration_cast<std::chrono::microseconds>(now).count();
  char stamp[40];
  std::snprintf(stamp, sizeof stamp, "%010lld.%06lld", micros / 1000000, micros % 1000000);
  return std::string("events.out.tfevents.") + stamp + "." + host_for_file_name() + "." +
         std::to_string(::getpid()) + "." + run_id + ".trainer";
}

}  // namespace

std::optional<std::string> event_file_run_id(const std::string& name) {
  static const std::regex pattern(
      R"(events\.out\.tfevents\.[0-9]{10}\.[0-9]{6}\..+\.[0-9]+\.([0-9a-f]{8})\.trainer)");
  std::smatch match;
  if (!std::regex_match(name, match, pattern)) return std::nullopt;
  return match[1].str();
}

EventLog::EventLog(std::filesystem::path dir, std::string run_id, bool starts_over, bool enabled)
    : enabled_(enabled), dir_(std::move(dir)), run_id_(std::move(run_id)) {
  std::vector<std::filesystem::path> same_run;
  std::error_code ec;
  std::filesystem::directory_iterator entries(dir_, ec), end;
  for (; !ec && entries != end; entries.increment(ec)) {
    const std::optional<std::string> id = event_file_run_id(entries->path().filename().string());
    if (!id) continue;  // not ours: left alone
    (starts_over || *id != run_id_ ? replaced_ : same_run).push_back(entries->path());
  }
  if (ec && ec != std::errc::no_such_file_or_directory && ec != std::errc::not_a_directory)
    throw RuntimeFailure(dir_.string() + ": cannot list: " + ec.message() + kNoLogsHint);
  std::sort(same_run.begin(), same_run.end());
  if (enabled_) {
    for (const std::filesystem::path& file : same_run) read_earlier(file);
  }
}

void EventLog::read_earlier(const std::filesystem::path& file) {
  // Record by record: memory is one record, whatever the file's size. A killed writer's last
  // record may be cut short; the records before it count.
  TfRecordFileReader reader(file);
  std::string record;
  while (reader.next(record)) {
    const std::optional<EventTags> event = decode_event_tags(record);
    if (!event) continue;
    for (const std::string& tag : event->tags) {
      auto [it, inserted] = logged_.emplace(tag, event->step);
      if (!inserted) it->second = std::max(it->second, event->step);
    }
  }
}

EventLog::~EventLog() {
  if (fd_ >= 0) ::close(fd_);
}

bool EventLog::is_new(const std::string& tag, std::int64_t step) const {
  if (!enabled_) return false;
  const auto it = logged_.find(tag);
  return it == logged_.end() || step > it->second;
}

void EventLog::queue(const std::string& tag, std::int64_t step, const std::string& event) {
  queued_ += tfrecord_frame(event);
  logged_[tag] = step;
}

void EventLog::scalar(std::int64_t step, const std::string& tag, double value) {
  if (is_new(tag, step)) queue(tag, step, scalar_event(wall_time_now(), step, tag, float(value)));
}

void EventLog::gray_image(std::int64_t step, const std::string& tag, int height, int width,
                          std::string_view png) {
  if (is_new(tag, step))
    queue(tag, step, gray_image_event(wall_time_now(), step, tag, height, width, png));
}

void EventLog::text(std::int64_t step, const std::string& tag, const std::string& markdown) {
  if (is_new(tag, step)) queue(tag, step, text_event(wall_time_now(), step, tag, markdown));
}

void EventLog::commit() {
  size_before_ = kNothingToUndo;
  if (queued_.empty()) return;
  if (fd_ < 0) {
    make_directories(dir_);
    file_ = dir_ / new_file_name(run_id_);
    fd_ = ::open(file_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ < 0)
      throw RuntimeFailure(describe_errno(file_.string() + ": cannot create", errno) + kNoLogsHint);
    queued_.insert(0, tfrecord_frame(file_version_event(wall_time_now())));
    size_before_ = kMadeTheFile;
  } else {
    size_before_ = ::lseek(fd_, 0, SEEK_END);
  }
  // One write: TensorBoard, polling the file, sees whole records or a tail it waits on, and a
  // kill leaves at most one partial record, which readers stop at.
  std::string_view rest = queued_;
  while (!rest.empty()) {
    const ssize_t written = ::write(fd_, rest.data(), rest.size());
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) {
      const int error = written < 0 ? errno : ENOSPC;
      undo_commit();
      throw RuntimeFailure(describe_errno(file_.string() + ": cannot write", error) + kNoLogsHint);
    }
    rest.remove_prefix(std::size_t(written));
  }
  queued_.clear();
}

void EventLog::undo_commit() {
  if (fd_ < 0 || size_before_ == kNothingToUndo) return;
  if (size_before_ == kMadeTheFile) {
    ::close(fd_);
    fd_ = -1;
    ::unlink(file_.c_str());
    file_.clear();
  } else if (::ftruncate(fd_, off_t(size_before_)) != 0) {
    // The events stay; a resumed run skips what they hold, as after a kill.
  }
  size_before_ = kNothingToUndo;
}

void EventLog::checkpoint_saved() {
  for (const std::filesystem::path& file : replaced_) {
    std::error_code ec;
    std::filesystem::remove(file, ec);
    if (ec)
      throw RuntimeFailure(file.string() +
                           ": cannot remove this event file of a replaced run: " + ec.message());
  }
  replaced_.clear();
}

}  // namespace trainer
