// TFRecord framing, the container of TensorBoard event files: per record a little-endian u64
// length, the masked CRC-32C of those 8 bytes, the data, the masked CRC-32C of the data.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace trainer {

std::string tfrecord_frame(std::string_view data);

// A record longer than this is damage, not data: a lying length must not become an allocation.
constexpr std::uint64_t kMaxTfRecordBytes = std::uint64_t(256) << 20;

// The records of a file, up to the first that is cut short or fails a CRC: a writer killed in
// mid-record leaves a partial record at the end, which readers (TensorBoard's too) stop at.
struct TfRecordScan {
  std::vector<std::string_view> records;  // views into the scanned bytes
  std::uint64_t valid_bytes = 0;          // the framed records' total size
  std::string problem;                    // empty, or why the scan stopped before the end
};
TfRecordScan scan_tfrecords(std::string_view bytes);

// The same, one record at a time from a file, so that memory is bounded by one record whatever the
// file's size. Throws RuntimeFailure "<path>: <cause>" when the file is not a regular file or
// cannot be read.
class TfRecordFileReader {
 public:
  explicit TfRecordFileReader(const std::filesystem::path& path);
  ~TfRecordFileReader();
  TfRecordFileReader(const TfRecordFileReader&) = delete;
  TfRecordFileReader& operator=(const TfRecordFileReader&) = delete;
  // The next record's data; false at the end, or at a record cut short or damaged (problem()).
  bool next(std::string& record);
  const std::string& problem() const { return problem_; }

 private:
  std::size_t read_up_to(char* out, std::size_t size);
  std::filesystem::path path_;
  std::FILE* file_ = nullptr;
  std::uint64_t at_ = 0;
  std::string problem_;
};

}  // namespace trainer
