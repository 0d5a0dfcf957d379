// TFRecord framing, the container of TensorBoard event files: per record a little-endian u64
// length, the masked CRC-32C of those 8 bytes, the data, the masked CRC-32C of the data.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace trainer {

std::string tfrecord_frame(std::string_view data);

// The records of a file, up to the first that is cut short or fails a CRC: a writer killed in
// mid-record leaves a partial record at the end, which readers (TensorBoard's too) stop at.
struct TfRecordScan {
  std::vector<std::string_view> records;  // views into the scanned bytes
  std::uint64_t valid_bytes = 0;          // the framed records' total size
  std::string problem;                    // empty, or why the scan stopped before the end
};
TfRecordScan scan_tfrecords(std::string_view bytes);

}  // namespace trainer
