// An exclusive advisory lock (flock) on a file, held for the object's lifetime. Two trainers
// filling one cache take turns instead of downloading the same file twice.
#pragma once

#include <filesystem>
#include <functional>

#include "util/errors.h"

namespace trainer {

struct FileLockBusy : RuntimeFailure {
  using RuntimeFailure::RuntimeFailure;
};

class FileLock {
 public:
  // Creates the lock file if needed. When another process holds the lock, calls `on_wait` once,
  // then blocks; with no `on_wait`, throws FileLockBusy instead of waiting. Other failures throw
  // RuntimeFailure naming the path.
  FileLock(const std::filesystem::path& path, const std::function<void()>& on_wait);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace trainer
