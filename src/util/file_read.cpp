#include "util/file_read.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "util/errors.h"

namespace trainer {

std::vector<std::uint8_t> read_whole_file(const std::filesystem::path& path) {
  const std::string name = path.string();
  // One read() into a buffer of the file's size: an istreambuf_iterator copy costs a third of
  // the time a cached run spends on its data.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw RuntimeFailure(describe_errno(name, errno));
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    const int error = errno;
    ::close(fd);
    throw RuntimeFailure(describe_errno(name, error));
  }
  // One byte more than the file holds, so that the read which finds the end needs no growth: a
  // resize there would copy the whole buffer and double the peak memory for a moment.
  std::vector<std::uint8_t> bytes(std::size_t(info.st_size) + 1);
  std::size_t filled = 0;
  while (true) {
    if (filled == bytes.size()) bytes.resize(bytes.size() + 65536);  // the file grew meanwhile
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
  bytes.resize(filled);
  return bytes;
}

std::string read_text_file(const std::filesystem::path& path, const std::string& missing_hint) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    throw RuntimeFailure(path.string() + ": does not exist" + missing_hint);
  const std::vector<std::uint8_t> bytes = read_whole_file(path);
  return std::string(bytes.begin(), bytes.end());
}

}  // namespace trainer
