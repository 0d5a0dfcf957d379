// gunzip with a ceiling: a gzip bomb, or a file that is not what the catalog says, stops at
// max_bytes instead of filling memory.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <zlib.h>

namespace trainer {

// Inflates a gzip stream fed in pieces, handing the output on in pieces as it comes: a 47 MB
// IDX file passes through 256 KiB at a time, so that only what the caller keeps is resident.
// feed() and finish() throw RuntimeFailure "<name>: <problem>" for corrupt or truncated data,
// trailing garbage, or output beyond max_bytes.
class GunzipStream {
 public:
  using Sink = std::function<void(const std::uint8_t* data, std::size_t size)>;
  GunzipStream(std::size_t max_bytes, std::string name, Sink sink);
  ~GunzipStream();
  GunzipStream(const GunzipStream&) = delete;
  GunzipStream& operator=(const GunzipStream&) = delete;
  void feed(const std::uint8_t* data, std::size_t size);
  void finish();  // the stream must have ended, with nothing after it
  std::uint64_t produced() const { return produced_; }

 private:
  z_stream stream_{};
  std::size_t max_bytes_;
  std::string name_;
  Sink sink_;
  std::vector<std::uint8_t> out_;
  std::uint64_t produced_ = 0, consumed_ = 0;
  bool ended_ = false;
};

// The whole output of `compressed` at once (small files, tests).
std::vector<std::uint8_t> gunzip(const std::vector<std::uint8_t>& compressed, std::size_t max_bytes,
                                 const std::string& name);

}  // namespace trainer
