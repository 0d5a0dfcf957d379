// HTTP response parsing, fed one byte at a time so every boundary is crossed.
#include <catch2/catch.hpp>

#include "net/byte_stream.h"
#include "net/http_message.h"
#include "net/net_error.h"

using namespace trainer;

namespace {

struct Parsed {
  ResponseHead head;
  std::string body;
  std::optional<std::uint64_t> announced;
};

Parsed parse(const std::string& wire, std::size_t piece = 1) {
  MemoryStream stream(wire, piece);
  BufferedReader reader(stream);
  Parsed parsed;
  parsed.head = read_response_head(reader);
  BodySink sink;
  sink.begin = [&](std::optional<std::uint64_t> length) { parsed.announced = length; };
  sink.data = [&](const std::uint8_t* data, std::size_t size) {
    parsed.body.append(reinterpret_cast<const char*>(data), size);
  };
  const std::uint64_t bytes = read_body(reader, parsed.head, sink);  // may throw: not inside CHECK
  CHECK(bytes == parsed.body.size());
  return parsed;
}

NetError failure(const std::string& wire) {
  try {
    parse(wire);
  } catch (const NetError& e) {
    return e;
  }
  return NetError(NetFailure::local, false, "(no error)");
}

}  // namespace

TEST_CASE("Content-Length bodies", "[net]") {
  Parsed p = parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A:  spaced  \r\n\r\nhelloEXTRA");
  CHECK(p.head.status == 200);
  CHECK(p.head.reason == "OK");
  CHECK(p.head.header("x-a") == "spaced");
  CHECK(p.announced == 5u);
  CHECK(p.body == "hello");
  // Bare LF line ends, no reason phrase.
  p = parse("HTTP/1.0 200\nContent-Length: 2\n\nok", 3);
  CHECK(p.body == "ok");
}

TEST_CASE("chunked bodies, with extensions and trailers; interim 1xx skipped", "[net]") {
  Parsed p = parse(
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;name=value\r\nhello\r\nA\r\n, world!!!\r\n0\r\nTrailer: x\r\n\r\n");
  CHECK(p.head.status == 200);
  CHECK_FALSE(p.announced.has_value());
  CHECK(p.body == "hello, world!!!");
}

TEST_CASE("a body that ends with the connection", "[net]") {
  CHECK(parse("HTTP/1.1 200 OK\r\n\r\nuntil the end").body == "until the end");
}

TEST_CASE("cut and malformed responses are errors of the right kind", "[net]") {
  NetError e = failure("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort");
  CHECK(e.kind() == NetFailure::closed);
  CHECK(e.retryable());
  CHECK_THAT(e.what(), Catch::Contains("after 5 body bytes of the 10 announced"));

  e = failure("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc");
  CHECK(e.kind() == NetFailure::closed);
  CHECK_THAT(e.what(), Catch::Contains("inside a chunk"));

  e = failure("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n");
  CHECK(e.kind() == NetFailure::closed);

  e = failure("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
  CHECK(e.kind() == NetFailure::protocol);
  CHECK_THAT(e.what(), Catch::Contains("chunk size"));

  e = failure("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n");
  CHECK_THAT(e.what(), Catch::Contains("chunk longer than its size"));

  e = failure("SSH-2.0-OpenSSH\r\n\r\n");
  CHECK(e.kind() == NetFailure::protocol);
  CHECK_THAT(e.what(), Catch::Contains("status line 'SSH-2.0-OpenSSH'"));

  CHECK_THAT(failure("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n").what(),
             Catch::Contains("Content-Length '-1'"));
  CHECK_THAT(failure("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab").what(),
             Catch::Contains("conflicting Content-Length"));
  CHECK_THAT(failure("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n").what(),
             Catch::Contains("header line"));
  CHECK(failure("HTTP/1.1 200 OK\r\nContent-Le").kind() == NetFailure::closed);
  CHECK(failure("").kind() == NetFailure::closed);
  CHECK_THAT(failure("HTTP/1.1 200 OK\r\nX: " + std::string(20000, 'a') + "\r\n\r\n").what(),
             Catch::Contains("longer than"));
}

TEST_CASE("at most 8 interim 1xx responses before the answer", "[net]") {
  std::string eight, nine;
  for (int i = 0; i < 8; ++i) eight += "HTTP/1.1 100 Continue\r\n\r\n";
  nine = eight + "HTTP/1.1 102 Processing\r\n\r\n";
  const std::string answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  CHECK(parse(eight + answer, 7).body == "ok");
  const NetError e = failure(nine + answer);
  CHECK(e.kind() == NetFailure::protocol);
  CHECK_THAT(e.what(), Catch::Contains("more than 8 interim (1xx) responses"));
}
