#include "io/tfrecord.h"

#include <unistd.h>

#include <cerrno>

#include "util/crc32c.h"
#include "util/errors.h"
#include "util/file_read.h"

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
    if (length > kMaxTfRecordBytes) {
      scan.problem = "a record length beyond any event's at byte " + std::to_string(at);
      break;
    }
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

TfRecordFileReader::TfRecordFileReader(const std::filesystem::path& path) : path_(path) {
  const int fd = open_regular_file(path);
  file_ = ::fdopen(fd, "rb");
  if (!file_) {
    const int error = errno;
    ::close(fd);
    throw RuntimeFailure(describe_errno(path.string(), error));
  }
}

TfRecordFileReader::~TfRecordFileReader() {
  if (file_) std::fclose(file_);
}

std::size_t TfRecordFileReader::read_up_to(char* out, std::size_t size) {
  const std::size_t got = std::fread(out, 1, size, file_);
  if (got < size && std::ferror(file_))
    throw RuntimeFailure(describe_errno(path_.string() + ": cannot read", errno));
  return got;
}

bool TfRecordFileReader::next(std::string& record) {
  if (!problem_.empty()) return false;
  char header[12];
  const std::size_t got = read_up_to(header, sizeof header);
  if (got == 0) return false;  // the end, between records
  const std::string where = " at byte " + std::to_string(at_);
  if (got < sizeof header) {
    problem_ = "a record header cut short" + where;
    return false;
  }
  if (get_le(std::string_view(header + 8, 4)) != masked_crc32c(std::string_view(header, 8))) {
    problem_ = "a record length with a wrong CRC" + where;
    return false;
  }
  const std::uint64_t length = get_le(std::string_view(header, 8));
  if (length > kMaxTfRecordBytes) {
    problem_ = "a record length beyond any event's" + where;
    return false;
  }
  record.resize(std::size_t(length) + 4);
  if (read_up_to(record.data(), record.size()) < record.size()) {
    problem_ = "a record cut short" + where;
    return false;
  }
  const std::uint32_t crc = std::uint32_t(get_le(std::string_view(record).substr(length, 4)));
  record.resize(std::size_t(length));
  if (crc != masked_crc32c(record)) {
    problem_ = "a record with a wrong data CRC" + where;
    return false;
  }
  at_ += 16 + length;
  return true;
}

}  // namespace trainer
