// libFuzzer target: HTTP/1.1 responses (net/http_message.h): status line, headers, and bodies
// framed by Content-Length, chunked coding or the end of the connection, delivered in pieces of a
// size the input chooses (first byte) so that every buffer boundary is reached.
#include <cstddef>
#include <cstdint>
#include <string>

#include "net/byte_stream.h"
#include "net/http_message.h"
#include "net/net_error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t piece = 1 + data[0] % 64;
  trainer::MemoryStream stream(std::string(reinterpret_cast<const char*>(data + 1), size - 1),
                               piece);
  trainer::BufferedReader reader(stream);
  try {
    const trainer::ResponseHead head = trainer::read_response_head(reader);
    std::uint64_t seen = 0;
    trainer::BodySink sink;
    sink.begin = [](std::optional<std::uint64_t>) {};
    sink.data = [&](const std::uint8_t*, std::size_t n) { seen += n; };
    trainer::read_body(reader, head, sink);
  } catch (const trainer::NetError&) {
  }
  return 0;
}
