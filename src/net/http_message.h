// HTTP/1.1 responses read off a ByteStream: the status line and headers, then the body framed by
// Content-Length, chunked transfer coding, or the end of the connection. Every malformed or cut
// response is a NetError; nothing here knows about URLs.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "net/byte_stream.h"

namespace trainer {

class BufferedReader {
 public:
  explicit BufferedReader(ByteStream& stream) : stream_(stream) {}
  // One line without its CR LF; throws NetError(protocol) past max_length, NetError(closed) at
  // the end of the stream (the message names `expecting`).
  std::string read_line(std::size_t max_length, const char* expecting);
  // Up to `size` bytes; 0 at the end of the stream.
  std::size_t read_some(void* data, std::size_t size);

 private:
  bool fill();
  ByteStream& stream_;
  std::vector<char> buffer_ = std::vector<char>(64 * 1024);
  std::size_t begin_ = 0, end_ = 0;
};

struct ResponseHead {
  int status = 0;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased

  std::optional<std::string> header(const std::string& lowercase_name) const;
};

// Skips interim 1xx responses. Throws NetError(protocol or closed).
ResponseHead read_response_head(BufferedReader& reader);

struct BodySink {
  std::function<void(std::optional<std::uint64_t> length)> begin;  // length when announced
  std::function<void(const std::uint8_t* data, std::size_t size)> data;
};

// Reads the body and hands it to the sink piece by piece. Returns the number of body bytes.
// Throws NetError(closed) when the connection ends before the framing says the body is complete.
std::uint64_t read_body(BufferedReader& reader, const ResponseHead& head, const BodySink& sink);

}  // namespace trainer
