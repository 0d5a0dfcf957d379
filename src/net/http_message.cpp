#include "net/http_message.h"

#include <algorithm>
#include <cctype>
#include <cstring>

#include "net/net_error.h"
#include "util/text.h"

namespace trainer {
namespace {

constexpr std::size_t kMaxLine = 16 * 1024;
constexpr int kMaxHeaders = 200;
constexpr int kMaxInterimResponses = 8;

[[noreturn]] void protocol_error(const std::string& what) {
  throw NetError(NetFailure::protocol, false, "bad HTTP response: " + what);
}

std::uint64_t parse_decimal(const std::string& text, const char* what) {
  if (text.empty() || text.size() > 18 ||
      !std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); }))
    protocol_error(std::string(what) + " '" + text + "'");
  return std::stoull(text);
}

std::uint64_t parse_chunk_size(const std::string& line) {
  std::string digits = trim(line.substr(0, line.find(';')));
  if (digits.empty() || digits.size() > 15 ||
      !std::all_of(digits.begin(), digits.end(), [](unsigned char c) { return std::isxdigit(c); }))
    protocol_error("chunk size '" + line.substr(0, 40) + "'");
  return std::stoull(digits, nullptr, 16);
}

[[noreturn]] void cut_short(std::uint64_t received, const std::string& expected) {
  throw NetError(NetFailure::closed, true,
                 "connection closed after " + std::to_string(received) + " body bytes" + expected);
}

}  // namespace

bool BufferedReader::fill() {
  if (begin_ == end_) begin_ = end_ = 0;
  if (end_ == buffer_.size()) {
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  std::size_t received = stream_.read_some(buffer_.data() + end_, buffer_.size() - end_);
  end_ += received;
  return received > 0;
}

std::string BufferedReader::read_line(std::size_t max_length, const char* expecting) {
  std::string line;
  while (true) {
    const char* begin = buffer_.data() + begin_;
    const char* newline = static_cast<const char*>(std::memchr(begin, '\n', end_ - begin_));
    std::size_t take = newline ? std::size_t(newline - begin) + 1 : end_ - begin_;
    line.append(begin, take);
    begin_ += take;
    if (line.size() > max_length + 2)
      protocol_error(std::string(expecting) + " longer than " + std::to_string(max_length) +
                     " bytes");
    if (newline) break;
    if (!fill()) {
      throw NetError(NetFailure::closed, true,
                     std::string("connection closed while reading the ") + expecting);
    }
  }
  line.pop_back();
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

std::size_t BufferedReader::read_some(void* data, std::size_t size) {
  if (begin_ == end_ && !fill()) return 0;
  std::size_t take = std::min(size, end_ - begin_);
  std::memcpy(data, buffer_.data() + begin_, take);
  begin_ += take;
  return take;
}

std::optional<std::string> ResponseHead::header(const std::string& lowercase_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lowercase_name) return value;
  }
  return std::nullopt;
}

ResponseHead read_response_head(BufferedReader& reader) {
  for (int interim = 0;; ++interim) {
    if (interim > kMaxInterimResponses)
      protocol_error("more than " + std::to_string(kMaxInterimResponses) +
                     " interim (1xx) responses");
    ResponseHead head;
    const std::string status_line = reader.read_line(kMaxLine, "status line");
    // "HTTP/1.1 200 OK": version, a space, three digits, then an optional reason.
    if (status_line.size() < 12 || status_line.compare(0, 7, "HTTP/1.") != 0 ||
        status_line[8] != ' ' || !std::isdigit((unsigned char)status_line[9]) ||
        !std::isdigit((unsigned char)status_line[10]) ||
        !std::isdigit((unsigned char)status_line[11]) ||
        (status_line.size() > 12 && status_line[12] != ' '))
      protocol_error("status line '" + status_line.substr(0, 60) + "'");
    head.status = std::stoi(status_line.substr(9, 3));
    head.reason = status_line.size() > 13 ? status_line.substr(13) : "";
    for (int count = 0;; ++count) {
      if (count > kMaxHeaders)
        protocol_error("more than " + std::to_string(kMaxHeaders) + " headers");
      const std::string line = reader.read_line(kMaxLine, "response headers");
      if (line.empty()) break;
      const std::size_t colon = line.find(':');
      if (colon == std::string::npos || colon == 0)
        protocol_error("header line '" + line.substr(0, 60) + "'");
      head.headers.emplace_back(lowercase(line.substr(0, colon)), trim(line.substr(colon + 1)));
    }
    if (head.status >= 100 && head.status < 200 && head.status != 101) continue;
    return head;
  }
}

std::uint64_t read_body(BufferedReader& reader, const ResponseHead& head, const BodySink& sink) {
  std::vector<std::uint8_t> piece(64 * 1024);
  std::uint64_t total = 0;
  const std::optional<std::string> coding = head.header("transfer-encoding");
  if (coding && lowercase(*coding).find("chunked") != std::string::npos) {
    if (sink.begin) sink.begin(std::nullopt);
    while (true) {
      std::uint64_t left = parse_chunk_size(reader.read_line(kMaxLine, "chunk size line"));
      if (left == 0) break;
      while (left > 0) {
        std::size_t got = reader.read_some(
            piece.data(), std::size_t(std::min<std::uint64_t>(left, piece.size())));
        if (got == 0) cut_short(total, " (inside a chunk)");
        sink.data(piece.data(), got);
        total += got;
        left -= got;
      }
      if (!reader.read_line(kMaxLine, "chunk end").empty())
        protocol_error("chunk longer than its size");
    }
    // Trailer fields, up to the empty line.
    for (int count = 0; !reader.read_line(kMaxLine, "chunked trailer").empty(); ++count) {
      if (count > kMaxHeaders) protocol_error("too many trailer fields");
    }
    return total;
  }
  if (const std::optional<std::string> length_text = head.header("content-length")) {
    const std::uint64_t length = parse_decimal(*length_text, "Content-Length");
    for (const auto& [name, value] : head.headers) {
      if (name == "content-length" && parse_decimal(value, "Content-Length") != length)
        protocol_error("conflicting Content-Length headers");
    }
    if (sink.begin) sink.begin(length);
    while (total < length) {
      std::size_t got = reader.read_some(
          piece.data(), std::size_t(std::min<std::uint64_t>(length - total, piece.size())));
      if (got == 0) cut_short(total, " of the " + std::to_string(length) + " announced");
      sink.data(piece.data(), got);
      total += got;
    }
    return total;
  }
  // Neither: the body ends with the connection (HTTP/1.0 style); the checksum judges it.
  if (sink.begin) sink.begin(std::nullopt);
  while (std::size_t got = reader.read_some(piece.data(), piece.size())) {
    sink.data(piece.data(), got);
    total += got;
  }
  return total;
}

}  // namespace trainer
