#include "util/atomic_file.h"
#include <signal.h>
#include <cstdlib>
#include <ctime>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <random>
#include <regex>
#include <string>

#include "util/errors.h"

namespace trainer {
namespace {

// Closes the descriptor and removes the temporary file unless committed.
class TempFile {
 public:
  TempFile(std::filesystem::path path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(path_.c_str());
  }
  int fd() const { return fd_; }
  bool close() {
    int fd = fd_;
    fd_ = -1;
    return ::close(fd) == 0;
  }
  void commit() { committed_ = true; }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
  bool committed_ = false;
};

[[noreturn]] void fail(const std::filesystem::path& path, const char* action, int error) {
  throw RuntimeFailure(describe_errno(path.string() + ": cannot " + action, error));
}

void write_all(int fd, const std::filesystem::path& path, std::string_view piece) {
  const char* data = piece.data();
  std::size_t left = piece.size();
  while (left > 0) {
    ssize_t written = ::write(fd, data, left);
    if (written < 0) {
      if (errno == EINTR) continue;
      fail(path, "write", errno);
    }
    data += written;
    left -= std::size_t(written);
  }
}

// A rename must itself reach the disk, or a crash could bring back the old file.
void sync_directory(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

}  // namespace

std::string random_tag() {
  std::random_device random;
  char tag[16];
  std::snprintf(tag, sizeof tag, "%08x", unsigned(random()));
  return tag;
}

std::string temporary_prefix(const std::string& file_name) {
  // "." + name + ".tmp." + pid (at most 10 digits) + "." + 8 hex digits must fit in NAME_MAX (255):
  // a long but legal name keeps only as much of itself as fits.
  constexpr std::size_t kNameMax = 255, kSuffix = 1 + 5 + 10 + 1 + 8;
  return "." + file_name.substr(0, kNameMax - kSuffix) + ".tmp.";
}

void remove_stale_temporaries(const std::filesystem::path& dir) {
  // ".<name>.tmp.<pid>.<8 hex>", exactly what write_file_atomically creates.
  static const std::regex temporary(R"(\..+\.tmp\.([0-9]+)\.[0-9a-f]{8})");
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::smatch match;
    const std::string name = entry.path().filename().string();
    if (!std::regex_match(name, match, temporary)) continue;
    // A writer that takes no lock (export, reconstruct into the directory) may be at work: its
    // temporary is kept while its process lives, for an hour at most (no write takes that long;
    // a pid alive again in another process must not keep litter forever). Ours are not yet made.
    const long pid = std::strtol(match[1].str().c_str(), nullptr, 10);
    const bool writer_alive = pid > 0 && pid != ::getpid() && pid <= 0x3fffffff &&
                              (::kill(pid_t(pid), 0) == 0 || errno == EPERM);
    struct stat info {};
    const bool recent =
        ::lstat(entry.path().c_str(), &info) == 0 && std::time(nullptr) - info.st_mtime < 3600;
    if (writer_alive && recent) continue;
    std::filesystem::remove_all(entry.path(), ec);  // a link is removed, not followed
  }
}

void require_writable_directory(const std::filesystem::path& dir, const std::string& label,
                                const std::function<std::string(int)>& hint) {
  std::error_code ec;
  std::filesystem::path probe = dir.empty() ? std::filesystem::path(".") : dir;
  while (!std::filesystem::exists(probe, ec)) {
    const std::filesystem::path parent = probe.parent_path();
    probe = parent.empty() || parent == probe ? std::filesystem::path(".") : parent;
  }
  if (!std::filesystem::is_directory(probe, ec))
    throw RuntimeFailure(label + ": " + probe.string() + " exists and is not a directory");
  if (::access(probe.c_str(), W_OK | X_OK) != 0) {
    const int error = errno;
    throw RuntimeFailure(describe_errno(label + ": cannot write in " + probe.string(), error) +
                         hint(error));
  }
}

void make_directories(const std::filesystem::path& dir) {
  std::error_code ec;
  if (std::filesystem::is_directory(dir, ec)) return;
  std::filesystem::path partial;
  for (const std::filesystem::path& part : dir) {
    partial /= part;
    if (std::filesystem::is_directory(partial, ec)) continue;
    if (std::filesystem::exists(partial, ec)) {
      throw RuntimeFailure(partial.string() + ": exists and is not a directory");
    }
    if (::mkdir(partial.c_str(), 0755) != 0 && errno != EEXIST)
      fail(partial, "create directory", errno);
  }
}

void require_replaceable(const std::filesystem::path& path) {
  struct stat info {};
  if (::lstat(path.c_str(), &info) != 0) return;  // absent (or unreachable: the write will say)
  if (S_ISREG(info.st_mode)) return;
  const char* kind = S_ISDIR(info.st_mode)    ? "a directory"
                     : S_ISLNK(info.st_mode)  ? "a symbolic link"
                     : S_ISCHR(info.st_mode)  ? "a character device"
                     : S_ISBLK(info.st_mode)  ? "a block device"
                     : S_ISFIFO(info.st_mode) ? "a FIFO"
                                              : "not a regular file";
  throw RuntimeFailure(path.string() + ": exists and is " + kind +
                       "; refusing to replace it with a regular file");
}

void write_file_atomically(const std::filesystem::path& path, std::string_view contents) {
  write_file_atomically(path, std::vector<std::string_view>{contents});
}

void write_file_atomically(const std::filesystem::path& path,
                           const std::vector<std::string_view>& pieces) {
  write_file_atomically(path, [&pieces](const PieceWriter& write) {
    for (std::string_view piece : pieces) write(piece);
  });
}

void write_file_atomically(const std::filesystem::path& path,
                           const std::function<void(const PieceWriter& write)>& produce) {
  require_replaceable(path);
  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : ".";
  // pid plus a random tag: in a container every run is pid 1, and a run killed mid-write leaves
  // its temporary behind.
  std::filesystem::path temp;
  int fd = -1;
  for (int attempt = 0; attempt < 16 && fd < 0; ++attempt) {
    const std::string tag = random_tag();
    temp =
        dir / (temporary_prefix(path.filename().string()) + std::to_string(::getpid()) + "." + tag);
    fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) fail(path, "write", errno);
  TempFile file(temp, fd);
  produce([&](std::string_view piece) { write_all(file.fd(), path, piece); });
  if (::fsync(file.fd()) != 0) fail(path, "write (fsync)", errno);
  if (!file.close()) fail(path, "write (close)", errno);
  if (::rename(temp.c_str(), path.c_str()) != 0) fail(path, "replace", errno);
  file.commit();
  sync_directory(dir);
}

void write_directory_atomically(const std::filesystem::path& dir,
                                const std::vector<DirectoryEntry>& files,
                                const std::vector<std::string>& empty_dirs) {
  struct stat info {};
  const bool exists = ::lstat(dir.c_str(), &info) == 0;
  if (exists && !S_ISDIR(info.st_mode))
    throw RuntimeFailure(dir.string() + ": exists and is " +
                         (S_ISLNK(info.st_mode) ? "a symbolic link" : "not a directory") +
                         "; refusing to replace it with a directory");
  const std::filesystem::path parent = dir.has_parent_path() ? dir.parent_path() : ".";
  std::filesystem::path temp;
  int made = -1;
  for (int attempt = 0; attempt < 16 && made != 0; ++attempt) {
    const std::string tag = random_tag();
    temp = parent /
           (temporary_prefix(dir.filename().string()) + std::to_string(::getpid()) + "." + tag);
    made = ::mkdir(temp.c_str(), 0755);
    if (made != 0 && errno != EEXIST) break;
  }
  if (made != 0) fail(dir, "create directory", errno);
  struct RemoveUnlessCommitted {
    std::filesystem::path path;
    ~RemoveUnlessCommitted() {
      std::error_code ec;
      if (!path.empty()) std::filesystem::remove_all(path, ec);
    }
  } cleanup{temp};
  for (const std::string& sub : empty_dirs) {
    if (::mkdir((temp / sub).c_str(), 0755) != 0) fail(dir / sub, "create directory", errno);
  }
  for (const DirectoryEntry& file : files) {
    const std::filesystem::path target = temp / file.relative_path;
    const int fd = ::open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) fail(dir / file.relative_path, "write", errno);
    TempFile written(target, fd);
    write_all(fd, dir / file.relative_path, file.contents);
    if (::fsync(fd) != 0) fail(dir / file.relative_path, "write (fsync)", errno);
    if (!written.close()) fail(dir / file.relative_path, "write (close)", errno);
    written.commit();
  }
  sync_directory(temp);
  if (!exists) {
    if (::rename(temp.c_str(), dir.c_str()) != 0) fail(dir, "create", errno);
    cleanup.path.clear();
  } else if (::renameat2(AT_FDCWD, temp.c_str(), AT_FDCWD, dir.c_str(), RENAME_EXCHANGE) != 0) {
    // A file system without the exchange (NFS, some FUSE): two renames, with a moment between
    // them where `dir` is absent but never half-written.
    if (errno != EINVAL && errno != ENOSYS) fail(dir, "replace", errno);
    const std::string tag = random_tag();
    const std::filesystem::path aside = parent / (temporary_prefix(dir.filename().string()) +
                                                  std::to_string(::getpid()) + "." + tag);
    if (::rename(dir.c_str(), aside.c_str()) != 0) fail(dir, "replace", errno);
    if (::rename(temp.c_str(), dir.c_str()) != 0) {
      const int error = errno;
      ::rename(aside.c_str(), dir.c_str());
      fail(dir, "replace", error);
    }
    cleanup.path = aside;
  }
  // After an exchange `temp` names the old directory (a name no reader looks at); it goes now.
  sync_directory(parent);
  std::error_code ec;
  std::filesystem::remove_all(cleanup.path, ec);
  if (ec)
    throw RuntimeFailure(cleanup.path.string() + ": cannot remove (the replaced copy of " +
                         dir.string() + ", which is written): " + ec.message());
  cleanup.path.clear();
}

}  // namespace trainer
