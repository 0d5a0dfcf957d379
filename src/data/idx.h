// IDX files (the MNIST container format), raw or gzip-compressed, fully validated before use:
// big-endian u32 magic 0x00000803 (images: count, rows, cols) or 0x00000801 (labels: count),
// then exactly count*rows*cols (or count) bytes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "util/host_bytes.h"

namespace trainer {

struct IdxImages {
  int count = 0, rows = 0, cols = 0;  // the file's: `count` images, of which `pixels` may hold
                                      // only the first kept() (a run with --limit reads no more)
  HostBytes pixels;                   // kept() x rows x cols, row-major, kept as bytes
  int pixels_per_image() const { return rows * cols; }
  int kept() const { return int(pixels.size() / std::size_t(pixels_per_image())); }
};

struct IdxLabels {
  int count = 0;
  std::vector<std::uint8_t> labels;  // the first labels.size() of `count`
};

// Parse from bytes already in memory; `name` labels error messages. Throws RuntimeFailure.
// `bytes` are the file's first bytes (the header at least) and `file_size` the whole file's size,
// which the header must describe exactly; the result keeps the whole images (labels) among
// `bytes`, without the header: pass an rvalue to avoid a copy.
IdxImages parse_idx_images(HostBytes bytes, const std::string& name, std::uint64_t file_size);
IdxLabels parse_idx_labels(const HostBytes& bytes, const std::string& name,
                           std::uint64_t file_size);
// The whole file in `bytes`.
inline IdxImages parse_idx_images(std::vector<std::uint8_t> bytes, const std::string& name) {
  const std::uint64_t size = bytes.size();
  return parse_idx_images(HostBytes(std::move(bytes)), name, size);
}
inline IdxLabels parse_idx_labels(std::vector<std::uint8_t> bytes, const std::string& name) {
  const std::uint64_t size = bytes.size();
  return parse_idx_labels(HostBytes(std::move(bytes)), name, size);
}

// How many bytes of an IDX file hold its header and its first `items` images (labels).
std::uint64_t idx_prefix_bytes(bool images, std::uint64_t pixels_per_image, std::uint64_t items);

}  // namespace trainer
