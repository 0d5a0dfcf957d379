#include "util/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "util/errors.h"

namespace trainer {

FileLock::FileLock(const std::filesystem::path& path, const std::function<void()>& on_wait) {
  // O_NOFOLLOW and a regular file only: a lock that is a symlink, a FIFO or a device would make
  // the trainer create or write something outside its directory.
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0644);
  if (fd_ < 0 && errno == ELOOP)
    throw RuntimeFailure(path.string() +
                         ": exists and is a symbolic link; a lock file must be a "
                         "regular file");
  if (fd_ < 0)
    throw RuntimeFailure(describe_errno(path.string() + ": cannot create lock file", errno));
  struct stat info {};
  if (::fstat(fd_, &info) != 0 || !S_ISREG(info.st_mode)) {
    ::close(fd_);
    fd_ = -1;
    throw RuntimeFailure(path.string() + ": exists and is not a regular file; a lock file must be");
  }
  if (::flock(fd_, LOCK_EX | LOCK_NB) == 0) return;
  if (errno == EWOULDBLOCK) {
    if (!on_wait) {
      ::close(fd_);
      fd_ = -1;
      throw FileLockBusy(path.string() + ": locked by another process");
    }
    on_wait();
    int status;
    do {
      status = ::flock(fd_, LOCK_EX);
    } while (status != 0 && errno == EINTR);
    if (status == 0) return;
  }
  // Filesystems without flock (some network mounts): go on unlocked; every file still lands by
  // an atomic rename, so the worst case is a file downloaded twice.
  if (errno == ENOLCK || errno == EOPNOTSUPP) return;
  const int error = errno;
  ::close(fd_);
  throw RuntimeFailure(describe_errno(path.string() + ": cannot lock", error));
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace trainer
