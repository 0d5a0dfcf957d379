#include "util/file_read.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "util/errors.h"

namespace trainer {

namespace {

const char* kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

[[noreturn]] void too_large(const std::string& name, std::uint64_t bytes, std::uint64_t max_bytes) {
  throw RuntimeFailure(name + ": " + std::to_string(bytes) + " bytes or more, larger than the " +
                       std::to_string(max_bytes) + " bytes such a file can hold");
}

}  // namespace

int open_regular_file(const std::filesystem::path& path) {
  const std::string name = path.string();
  // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) throw RuntimeFailure(describe_errno(name, errno));
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    const int error = errno;
    ::close(fd);
    throw RuntimeFailure(describe_errno(name, error));
  }
  if (!S_ISREG(info.st_mode)) {
    ::close(fd);
    throw RuntimeFailure(name + ": " + kind_of(info.st_mode) + ", not a regular file");
  }
  return fd;
}

std::vector<std::uint8_t> read_whole_file(const std::filesystem::path& path,
                                          std::uint64_t max_bytes) {
  const std::string name = path.string();
  const int fd = open_regular_file(path);
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    const int error = errno;
    ::close(fd);
    throw RuntimeFailure(describe_errno(name, error));
  }
  if (std::uint64_t(info.st_size) > max_bytes) {
    ::close(fd);
    too_large(name, std::uint64_t(info.st_size), max_bytes);
  }
  // One read() into a buffer of the file's size: an istreambuf_iterator copy costs a third of
  // the time a cached run spends on its data. One byte more than the file holds, so that the read
  // which finds the end needs no growth (a resize would copy the buffer: twice the memory).
  std::vector<std::uint8_t> bytes(std::size_t(info.st_size) + 1);
  std::size_t filled = 0;
  while (true) {
    if (filled == bytes.size()) {  // the file grew meanwhile
      if (filled > max_bytes) {
        ::close(fd);
        too_large(name, filled, max_bytes);
      }
      bytes.resize(bytes.size() + 65536);
    }
    const ssize_t got = ::read(fd, bytes.data() + filled, bytes.size() - filled);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      const int error = errno;
      ::close(fd);
      throw RuntimeFailure(describe_errno(name, error));
    }
    if (got == 0) break;
    filled += std::size_t(got);
  }
  ::close(fd);
  if (filled > max_bytes) too_large(name, filled, max_bytes);
  bytes.resize(filled);
  return bytes;
}

ClosedOnExit::~ClosedOnExit() {
  ::close(fd);
}

std::uint64_t open_file_size(int fd, const std::string& name) {
  struct stat info {};
  if (::fstat(fd, &info) != 0) throw RuntimeFailure(describe_errno(name, errno));
  return std::uint64_t(info.st_size);
}

void read_open_file_in_pieces(int fd, const std::string& name, std::uint64_t size,
                              const std::function<void(const std::uint8_t*, std::size_t)>& piece) {
  std::vector<std::uint8_t> buffer(1 << 20);
  std::uint64_t total = 0;
  while (true) {
    const ssize_t got = ::read(fd, buffer.data(), buffer.size());
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) throw RuntimeFailure(describe_errno(name, errno));
    if (got == 0) break;
    total += std::uint64_t(got);
    if (total > size) break;
    piece(buffer.data(), std::size_t(got));
  }
  if (total != size) {
    throw RuntimeFailure(name + ": changed while it was read (" + std::to_string(size) +
                         " bytes when opened, " + (total > size ? "more" : std::to_string(total)) +
                         " read)");
  }
}

void read_file_in_pieces(const std::filesystem::path& path, std::uint64_t max_bytes,
                         const std::function<void(std::uint64_t size)>& size,
                         const std::function<void(const std::uint8_t*, std::size_t)>& piece) {
  const std::string name = path.string();
  const int fd = open_regular_file(path);
  const ClosedOnExit closer{fd};
  const std::uint64_t announced = open_file_size(fd, name);
  if (announced > max_bytes) too_large(name, announced, max_bytes);
  size(announced);
  read_open_file_in_pieces(fd, name, announced, piece);
}

std::string read_text_file(const std::filesystem::path& path, std::uint64_t max_bytes,
                           const std::string& missing_hint) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    throw RuntimeFailure(path.string() + ": does not exist" + missing_hint);
  const std::vector<std::uint8_t> bytes = read_whole_file(path, max_bytes);
  return std::string(bytes.begin(), bytes.end());
}

}  // namespace trainer
