#include "io/tfrecord.h"

#include "util/crc32c.h"

namespace trainer {
namespace {

void put_le(std::string& out, std::uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(char((value >> (8 * i)) & 0xff));
}

std::uint64_t get_le(std::string_view bytes) {
  std::uint64_t value = 0;
  for (std::size_t i = bytes.size(); i-- > 0;) value = value << 8 | std::uint8_t(bytes[i]);
  return value;
}

}  // namespace

std::string tfrecord_frame(std::string_view data) {
  std::string out;
  out.reserve(data.size() + 16);
  put_le(out, data.size(), 8);
  put_le(out, masked_crc32c(out), 4);
  out.append(data.data(), data.size());
  put_le(out, masked_crc32c(data), 4);
  return out;
}

TfRecordScan scan_tfrecords(std::string_view bytes) {
  TfRecordScan scan;
  std::uint64_t at = 0;
  while (at < bytes.size()) {
    const std::string_view rest = bytes.substr(at);
    if (rest.size() < 12) {
      scan.problem = "a record header cut short at byte " + std::to_string(at);
      break;
    }
    if (get_le(rest.substr(8, 4)) != masked_crc32c(rest.substr(0, 8))) {
      scan.problem = "a record length with a wrong CRC at byte " + std::to_string(at);
      break;
    }
    const std::uint64_t length = get_le(rest.substr(0, 8));
    if (length > rest.size() - 12 || rest.size() - 12 - length < 4) {
      scan.problem = "a record cut short at byte " + std::to_string(at);
      break;
    }
    const std::string_view data = rest.substr(12, std::size_t(length));
    if (get_le(rest.substr(12 + std::size_t(length), 4)) != masked_crc32c(data)) {
      scan.problem = "a record with a wrong data CRC at byte " + std::to_string(at);
      break;
    }
    scan.records.push_back(data);
    at += 16 + length;
    scan.valid_bytes = at;
  }
  return scan;
}

}  // namespace trainer
