// The piece hash: SHA-256 over the SHA-256 digests (32 bytes each, in order) of a content's
// consecutive 1 MiB pieces, the last one shorter. Unlike one SHA-256 over the whole, its pieces can
// be hashed at the same time: a cached run checks its 55 MB of decoded images on every thread it
// may use (data/decoded_cache.h, bench/RESULTS.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "util/sha256.h"

namespace trainer {

constexpr std::size_t kHashPieceBytes = std::size_t(1) << 20;

// The piece hash of bytes given in any cut, as lowercase hex.
class PieceHasher {
 public:
  PieceHasher();
  void update(const std::uint8_t* data, std::size_t size);
  std::string hex_digest();  // finishes; the object is spent afterwards

 private:
  Sha256 top_;
  std::unique_ptr<Sha256> piece_;
  std::size_t piece_bytes_ = 0;
};

// An open descriptor and the number of bytes of it to hash; `name` is for messages.
struct FileToHash {
  int fd = -1;
  std::string name;
  std::uint64_t size = 0;
};

// The piece hash of each file, their pieces read (pread, one 1 MiB buffer per thread) and hashed
// on up to `threads` threads (at most the usable cores), this one included. Throws RuntimeFailure "<name>: <cause>" when a
// file cannot be read or ends before `size`.
std::vector<std::string> piece_hashes(const std::vector<FileToHash>& files, int threads);

}  // namespace trainer
