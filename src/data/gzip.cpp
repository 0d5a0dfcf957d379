#include "data/gzip.h"

#include <zlib.h>

#include "util/errors.h"

namespace trainer {

std::vector<std::uint8_t> gunzip(const std::vector<std::uint8_t>& compressed, std::size_t max_bytes,
                                 const std::string& name) {
  z_stream stream{};
  if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK)
    throw RuntimeFailure(name + ": zlib initialisation failed");
  std::vector<std::uint8_t> out(max_bytes + 1);  // one spare byte detects "more than max_bytes"
  stream.next_in = const_cast<std::uint8_t*>(compressed.data());
  stream.avail_in = uInt(compressed.size());
  stream.next_out = out.data();
  stream.avail_out = uInt(out.size());
  int status = inflate(&stream, Z_FINISH);
  const std::size_t produced = stream.total_out;
  const std::size_t consumed = stream.total_in;
  const std::string detail = stream.msg ? stream.msg : "";
  inflateEnd(&stream);
  if (produced > max_bytes) {
    throw RuntimeFailure(name + ": decompresses to more than " + std::to_string(max_bytes) +
                         " bytes, more than this file can hold");
  }
  if (status == Z_DATA_ERROR) throw RuntimeFailure(name + ": corrupt gzip data (" + detail + ")");
  if (status != Z_STREAM_END) {
    throw RuntimeFailure(name + ": truncated gzip stream (ends after " + std::to_string(consumed) +
                         " compressed bytes)");
  }
  if (consumed != compressed.size()) {
    throw RuntimeFailure(name + ": " + std::to_string(compressed.size() - consumed) +
                         " unexpected bytes after the end of the gzip stream");
  }
  out.resize(produced);
  return out;
}

}  // namespace trainer
