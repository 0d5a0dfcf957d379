// A connection that moves bytes: plain TCP or TLS on top of it. Both block with a timeout and
// throw NetError; read_some returns 0 only for an orderly end of stream.
#pragma once

#include <cstddef>

namespace trainer {

class ByteStream {
 public:
  virtual ~ByteStream() = default;
  virtual void write_all(const void* data, std::size_t size) = 0;
  virtual std::size_t read_some(void* data, std::size_t size) = 0;
};

}  // namespace trainer

#include <algorithm>
#include <cstring>
#include <string>

namespace trainer {

// Bytes from memory, at most `piece` per read (tests use 1 to exercise every boundary);
// what is written is collected in `written`.
class MemoryStream : public ByteStream {
 public:
  explicit MemoryStream(std::string input, std::size_t piece = 1 << 20)
      : input_(std::move(input)), piece_(piece) {}
  void write_all(const void* data, std::size_t size) override {
    written.append(static_cast<const char*>(data), size);
  }
  std::size_t read_some(void* data, std::size_t size) override {
    std::size_t take = std::min({size, piece_, input_.size() - offset_});
    std::memcpy(data, input_.data() + offset_, take);
    offset_ += take;
    return take;
  }
  std::string written;

 private:
  std::string input_;
  std::size_t piece_, offset_ = 0;
};

}  // namespace trainer
