// gzip in memory, for tests that need compressed inputs.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <string>
#include <vector>

namespace trainer {

inline std::vector<std::uint8_t> gzip(const std::vector<std::uint8_t>& raw) {
  z_stream s{};
  deflateInit2(&s, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::vector<std::uint8_t> out(deflateBound(&s, uLong(raw.size())) + 64);
  s.next_in = const_cast<Bytef*>(raw.data());
  s.avail_in = uInt(raw.size());
  s.next_out = out.data();
  s.avail_out = uInt(out.size());
  deflate(&s, Z_FINISH);
  out.resize(s.total_out);
  deflateEnd(&s);
  return out;
}

inline std::vector<std::uint8_t> gzip(const std::string& text) {
  return gzip(std::vector<std::uint8_t>(text.begin(), text.end()));
}

}  // namespace trainer
