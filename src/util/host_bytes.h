// Bytes in host memory, either owned (a vector) or a read-only view of a file mapped into memory.
// The training images are mapped from the decoded cache rather than copied: the pages stay the
// kernel's page cache, which a container's memory limit can reclaim and read again, so that a
// run on all 60000 images fits under `docker run --memory 64m` (a copy would be 47 MB of
// anonymous memory that only the OOM killer can take back).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

namespace trainer {

class HostBytes {
 public:
  HostBytes() = default;
  explicit HostBytes(std::vector<std::uint8_t> bytes);
  // The first `size` bytes of the open file `fd` (which the caller still owns and closes),
  // mapped read-only. Throws RuntimeFailure "<name>: cannot map: <cause>".
  static HostBytes map_file(int fd, std::size_t size, const std::filesystem::path& name);
  // Move-only: data() points into what this object owns.
  HostBytes(HostBytes&& other) noexcept { *this = std::move(other); }
  HostBytes& operator=(HostBytes&& other) noexcept;
  HostBytes(const HostBytes&) = delete;
  HostBytes& operator=(const HostBytes&) = delete;

  const std::uint8_t* data() const { return data_; }
  std::size_t size() const { return size_; }
  const std::uint8_t* begin() const { return data_; }
  const std::uint8_t* end() const { return data_ + size_; }
  std::uint8_t operator[](std::size_t i) const { return data_[i]; }

  void drop_front(std::size_t count);  // a header, without copying what follows
  void truncate(std::size_t size);     // keep the first `size` bytes (no more than there are)

 private:
  std::vector<std::uint8_t> owned_;
  std::shared_ptr<void> mapping_;  // unmaps when the last copy goes
  const std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

// Throws RuntimeFailure "<file>: changed while this run was reading it ..." when a file that
// HostBytes::map_file mapped has been written, cut or extended since (its size, mtime or ctime
// moved). Call before saving anything computed from mapped bytes: a checkpoint, a result.
void check_mapped_files();

}  // namespace trainer
