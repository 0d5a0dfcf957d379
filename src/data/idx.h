// IDX files (the MNIST container format), raw or gzip-compressed, fully validated before use:
// big-endian u32 magic 0x00000803 (images: count, rows, cols) or 0x00000801 (labels: count),
// then exactly count*rows*cols (or count) bytes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace trainer {

struct IdxImages {
  int count = 0, rows = 0, cols = 0;
  std::vector<std::uint8_t> pixels;  // count x rows x cols, row-major, kept as bytes
  int pixels_per_image() const { return rows * cols; }
};

struct IdxLabels {
  int count = 0;
  std::vector<std::uint8_t> labels;
};

// Parse from bytes already in memory; `name` labels error messages. Throws RuntimeFailure.
// The file's bytes become the result's (header removed): pass an rvalue to avoid a copy.
IdxImages parse_idx_images(std::vector<std::uint8_t> bytes, const std::string& name);
IdxLabels parse_idx_labels(std::vector<std::uint8_t> bytes, const std::string& name);

}  // namespace trainer
