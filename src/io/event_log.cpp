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
#include "util/file_read.h"

namespace trainer {
namespace {

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

std::string new_file_name() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const long long micros = std::chrono::duration_cast<std::chrono::microseconds>(now).count();
  char stamp[40];
  std::snprintf(stamp, sizeof stamp, "%010lld.%06lld", micros / 1000000, micros % 1000000);
  return std::string("events.out.tfevents.") + stamp + "." + host_for_file_name() + "." +
         std::to_string(::getpid()) + ".trainer";
}

}  // namespace

bool is_our_event_file(const std::string& name) {
  static const std::regex pattern(R"(events\.out\.tfevents\.[0-9]{10}\.[0-9]{6}\..+\.trainer)");
  return std::regex_match(name, pattern);
}

EventLog::EventLog(std::filesystem::path dir, bool fresh)
    : enabled_(true), fresh_(fresh), dir_(std::move(dir)) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
    if (is_our_event_file(entry.path().filename().string())) earlier_.push_back(entry.path());
  }
  std::sort(earlier_.begin(), earlier_.end());
  if (fresh) return;  // what they hold belongs to the run being replaced
  for (const std::filesystem::path& file : earlier_) {
    const std::vector<std::uint8_t> raw = read_whole_file(file, kMaxEventFileBytes);
    // A killed writer's last record may be cut short: the records before it count.
    const TfRecordScan scan =
        scan_tfrecords(std::string_view(reinterpret_cast<const char*>(raw.data()), raw.size()));
    for (const std::string_view record : scan.records) {
      const std::optional<EventTags> event = decode_event_tags(record);
      if (!event) continue;
      for (const std::string& tag : event->tags) {
        auto [it, inserted] = logged_.emplace(tag, event->step);
        if (!inserted) it->second = std::max(it->second, event->step);
      }
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

void EventLog::commit() {
  if (queued_.empty()) return;
  const bool created = fd_ < 0;
  if (created) {
    make_directories(dir_);
    file_ = dir_ / new_file_name();
    fd_ = ::open(file_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ < 0)
      throw RuntimeFailure(describe_errno(file_.string() + ": cannot create", errno) +
                           " (--no-tensorboard writes no logs)");
    queued_.insert(0, tfrecord_frame(file_version_event(wall_time_now())));
  }
  // One write per commit: TensorBoard, polling the file, sees whole records or a tail it waits
  // on, and a kill leaves at most one partial record, which readers stop at.
  const off_t size_before = ::lseek(fd_, 0, SEEK_END);
  std::string_view rest = queued_;
  while (!rest.empty()) {
    const ssize_t written = ::write(fd_, rest.data(), rest.size());
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) {
      const int error = written < 0 ? errno : ENOSPC;
      if (created) {
        ::unlink(file_.c_str());
      } else if (size_before >= 0 && ::ftruncate(fd_, size_before) != 0) {
        // The partial record stays; readers stop at it.
      }
      ::close(fd_);
      fd_ = -1;
      throw RuntimeFailure(describe_errno(file_.string() + ": cannot write", error) +
                           " (--no-tensorboard writes no logs)");
    }
    rest.remove_prefix(std::size_t(written));
  }
  queued_.clear();
  if (fresh_) {
    for (const std::filesystem::path& file : earlier_) {
      std::error_code ec;
      std::filesystem::remove(file, ec);
    }
    earlier_.clear();
  }
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

}  // namespace trainer
