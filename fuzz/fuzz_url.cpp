// libFuzzer target: URL parsing and redirect resolution (net/url.h). Text before the first
// newline is parsed as a URL, the rest as a Location header relative to a fixed base.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "net/url.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const std::size_t newline = text.find('\n');
  try {
    const trainer::Url url = trainer::parse_url(text.substr(0, newline));
    url.text();
    url.authority();
  } catch (const std::invalid_argument&) {
  }
  if (newline != std::string::npos) {
    static const trainer::Url base = trainer::parse_url("https://example.com:8443/a/b/c?q=1");
    try {
      trainer::resolve_reference(base, text.substr(newline + 1)).text();
    } catch (const std::invalid_argument&) {
    }
  }
  return 0;
}
