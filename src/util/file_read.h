// The one way the program reads a whole file: the checkpoint, config.json, safetensors, cached
// archives, file:// mirrors and SSL_CERT_FILE all come through here, each bounded by what its
// format can hold. What is not a regular file (a directory, a device such as /dev/zero behind a
// symlink, a FIFO that would block, a socket) is refused with one line naming it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace trainer {

// A descriptor open for reading on `path`, which must be a regular file (a FIFO is not waited on);
// throws RuntimeFailure "<path>: <cause>" or "<path>: a FIFO, not a regular file". The caller
// closes it.
int open_regular_file(const std::filesystem::path& path);

// Closes a descriptor from open_regular_file() when it goes out of scope.
struct ClosedOnExit {
  int fd;
  ~ClosedOnExit();
};

// The whole file, at most `max_bytes`; throws RuntimeFailure "<path>: <cause>".
std::vector<std::uint8_t> read_whole_file(const std::filesystem::path& path,
                                          std::uint64_t max_bytes);

// The file in pieces of at most 1 MiB, for files too large to hold whole: `size` is told its size
// first, then `piece` gets the bytes in order. Throws RuntimeFailure "<path>: <cause>", also when
// the file is larger than `max_bytes` or changes size while it is read.
void read_file_in_pieces(const std::filesystem::path& path, std::uint64_t max_bytes,
                         const std::function<void(std::uint64_t size)>& size,
                         const std::function<void(const std::uint8_t*, std::size_t)>& piece);

// The same for a descriptor from open_regular_file() whose file has `size` bytes (fstat).
void read_open_file_in_pieces(int fd, const std::string& name, std::uint64_t size,
                              const std::function<void(const std::uint8_t*, std::size_t)>& piece);

// The size of an open file (fstat); throws RuntimeFailure "<name>: <cause>".
std::uint64_t open_file_size(int fd, const std::string& name);

// The same as text; RuntimeFailure "<path>: does not exist<missing_hint>" if absent.
std::string read_text_file(const std::filesystem::path& path, std::uint64_t max_bytes,
                           const std::string& missing_hint);

}  // namespace trainer
