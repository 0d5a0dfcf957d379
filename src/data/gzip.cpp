#include "data/gzip.h"

#include "util/errors.h"

namespace trainer {

namespace {
constexpr std::size_t kOutChunk = 256 << 10;
}  // namespace

GunzipStream::GunzipStream(std::size_t max_bytes, std::string name, Sink sink)
    : max_bytes_(max_bytes), name_(std::move(name)), sink_(std::move(sink)), out_(kOutChunk) {
  if (inflateInit2(&stream_, 16 + MAX_WBITS) != Z_OK)
    throw RuntimeFailure(name_ + ": zlib initialisation failed");
}

GunzipStream::~GunzipStream() {
  inflateEnd(&stream_);
}

void GunzipStream::feed(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return;
  if (ended_) {
    throw RuntimeFailure(name_ + ": " + std::to_string(size) +
                         " unexpected bytes after the end of the gzip stream");
  }
  stream_.next_in = const_cast<std::uint8_t*>(data);
  stream_.avail_in = uInt(size);
  while (stream_.avail_in > 0 && !ended_) {
    stream_.next_out = out_.data();
    stream_.avail_out = uInt(out_.size());
    const int status = inflate(&stream_, Z_NO_FLUSH);
    const std::size_t made = out_.size() - stream_.avail_out;
    if (status == Z_DATA_ERROR) {
      throw RuntimeFailure(name_ + ": corrupt gzip data (" +
                           std::string(stream_.msg ? stream_.msg : "") + ")");
    }
    if (status != Z_OK && status != Z_STREAM_END && status != Z_BUF_ERROR)
      throw RuntimeFailure(name_ + ": zlib error " + std::to_string(status));
    if (produced_ + made > max_bytes_) {
      throw RuntimeFailure(name_ + ": decompresses to more than " + std::to_string(max_bytes_) +
                           " bytes, more than this file can hold");
    }
    produced_ += made;
    if (made > 0) sink_(out_.data(), made);
    if (status == Z_STREAM_END) ended_ = true;
    if (status == Z_BUF_ERROR && made == 0) break;  // needs more input
  }
  consumed_ += size - stream_.avail_in;
  if (ended_ && stream_.avail_in > 0) {
    throw RuntimeFailure(name_ + ": " + std::to_string(stream_.avail_in) +
                         " unexpected bytes after the end of the gzip stream");
  }
}

void GunzipStream::finish() {
  if (!ended_) {
    throw RuntimeFailure(name_ + ": truncated gzip stream (ends after " +
                         std::to_string(consumed_) + " compressed bytes)");
  }
}

std::vector<std::uint8_t> gunzip(const std::vector<std::uint8_t>& compressed, std::size_t max_bytes,
                                 const std::string& name) {
  std::vector<std::uint8_t> out;
  GunzipStream stream(max_bytes, name, [&](const std::uint8_t* data, std::size_t size) {
    out.insert(out.end(), data, data + size);
  });
  stream.feed(compressed.data(), compressed.size());
  stream.finish();
  return out;
}

}  // namespace trainer
