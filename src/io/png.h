// PNG and NumPy .npy encoders: the two formats `trainer` writes for people and scripts.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace trainer {

// An 8-bit grayscale image, rows top to bottom.
struct GrayImage {
  int width = 0, height = 0;
  std::vector<std::uint8_t> pixels;  // width * height
};

// The bytes of a PNG file (color type 0, bit depth 8, no interlace, rows filtered "up", zlib level
// 6); equal images give equal bytes.
std::string encode_png(const GrayImage& image);

// The bytes of a .npy file (format 1.0) holding a little-endian float32 array [rows, cols].
std::string encode_npy_f32(const std::vector<float>& values, int rows, int cols);

}  // namespace trainer
